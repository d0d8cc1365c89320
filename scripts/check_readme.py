"""Reruns the commands behind the README's numbers and compares what they print.

    python scripts/check_readme.py            # every claim (about 3 minutes on 2 cores)
    python scripts/check_readme.py port_pytorch

Each claim names a README sentence (a regex whose group is the number as written), the
command that produces the number (shown next to it in the README), a regex for the
number in the command's output, and how the two must agree. Exits 1 on a mismatch.
The benchmark tables are not rerun here: their timings move with the machine's load
(each table names its command). `tests/test_readme.py` checks that every claim's
README sentence still exists, so a reworded README cannot silently drop a check.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Claim:
    name: str
    readme: str  # regex over README.md; group 1 is the number as written
    command: tuple[str, ...]  # run from the repository root with this Python
    output: str  # regex over the command's stdout; group 1 is the measured number
    # "same": equal as written; "at_most": measured <= README; "order": the same
    # power of ten (README 1e-1 means 0.1 <= measured < 1).
    agree: str


CLAIMS = [
    Claim(
        "train_digits accuracy",
        r"reaches ([\d.]+)% test accuracy",
        ("examples/train_digits.py", "--out", "{tmp}"),
        r"test accuracy: ([\d.]+)%",
        "same",
    ),
    Claim(
        "train_digits accuracy (examples table)",
        r"test accuracy ([\d.]+)% \(`python examples/train_digits.py`",
        ("examples/train_digits.py", "--out", "{tmp}"),
        r"test accuracy: ([\d.]+)%",
        "same",
    ),
    Claim(
        "train_digits torchvision recipe accuracy",
        r"label smoothing 0.1\): ([\d.]+)% \(`python examples/train_digits.py --recipe",
        ("examples/train_digits.py", "--recipe", "torchvision", "--out", "{tmp}"),
        r"test accuracy: ([\d.]+)%",
        "same",
    ),
    Claim(
        "port_pytorch logits",
        r"eval logits \(max difference ([\d.e+-]+)",
        ("examples/port_pytorch.py",),
        r"\| [\w-]+ \| \d+ \| ([\d.e+-]+) \|",  # the largest over the models
        "same",
    ),
    Claim(
        "sync_batch_norm synchronized",
        r"parameters agree within ([\d.e+-]+) after",
        ("examples/sync_batch_norm.py", "--out", "{tmp}"),
        r"\| [^|]*SyncBatchNorm[^|]* \| ([\d.e+-]+) \|",
        "at_most",
    ),
    Claim(
        "sync_batch_norm unsynchronized",
        r"unsynchronized batch norm drifts by ([\d.e+-]+)",
        ("examples/sync_batch_norm.py", "--out", "{tmp}"),
        r"\| [^|]*unsynced[^|]* \| ([\d.e+-]+) \|",
        "order",
    ),
]


def _run(command: tuple[str, ...], tmp: str, cache: dict) -> str:
    command = tuple(part.format(tmp=tmp) for part in command)
    if command not in cache:
        env = dict(os.environ, TQDM_DISABLE="1", MPLBACKEND="Agg")
        print(f"$ python {' '.join(command)}", flush=True)
        done = subprocess.run(
            [sys.executable, *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        cache[command] = done.stdout
    return cache[command]


def readme_value(claim: Claim, readme: str) -> str:
    found = re.findall(claim.readme, readme)
    if len(found) != 1:
        raise LookupError(f"{claim.name}: README matches {len(found)} times")
    return found[0]


def check(claim: Claim, readme: str, stdout: str) -> tuple[bool, str, str]:
    written = readme_value(claim, readme)
    measured = re.findall(claim.output, stdout)
    if not measured:
        return False, written, "(not printed)"
    value = max(measured, key=float)
    if claim.agree == "same":
        digits = len(written.split(".")[-1].split("e")[0]) if "." in written else 0
        if "e" in written.lower():
            ok = f"{float(value):.{digits}e}" == f"{float(written):.{digits}e}"
        else:
            ok = f"{float(value):.{digits}f}" == written
    elif claim.agree == "at_most":
        ok = float(value) <= float(written)
    else:
        ok = math.floor(math.log10(float(value))) == math.floor(
            math.log10(float(written))
        )
    return ok, written, value


def main(argv: list[str]) -> int:
    import tempfile

    readme = (ROOT / "README.md").read_text()
    claims = [c for c in CLAIMS if not argv or any(a in c.name for a in argv)]
    cache: dict = {}
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for claim in claims:
            ok, written, value = check(claim, readme, _run(claim.command, tmp, cache))
            failed += not ok
            print(
                f"{'OK ' if ok else 'MISMATCH'} {claim.name}: README {written}, run {value}"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
