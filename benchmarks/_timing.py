"""Interleaved timing shared by the benchmark scripts (wall time and CPU use)."""

import statistics
import time


def interleaved(fns, rounds, warmup=1):
    """Times every ``fn`` once per round, in turn, for ``rounds`` rounds.

    Interleaving puts all contenders under the same machine load, so their ratios
    hold even when absolute times drift on a shared machine. Each ``fn`` must block
    until its result is ready. The first call of each (compilation) is timed apart.

    Returns:
      ``(compile_s, median_s, cpu_ratio)`` lists, one entry per ``fn``: the first
      call's time, the median wall time of the rounds and the median of this
      process's CPU time over wall time (about the number of busy threads).
    """
    first = []
    for fn in fns:
        t0 = time.perf_counter()
        fn()
        first.append(time.perf_counter() - t0)
        for _ in range(warmup):
            fn()
    walls = [[] for _ in fns]
    cpus = [[] for _ in fns]
    for _ in range(rounds):
        for fn, w, c in zip(fns, walls, cpus, strict=True):
            c0, t0 = time.process_time(), time.perf_counter()
            fn()
            t1, c1 = time.perf_counter(), time.process_time()
            w.append(t1 - t0)
            c.append((c1 - c0) / max(t1 - t0, 1e-9))
    return (
        first,
        [statistics.median(w) for w in walls],
        [statistics.median(c) for c in cpus],
    )
