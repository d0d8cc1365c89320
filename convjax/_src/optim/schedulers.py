"""``torch.optim.lr_scheduler`` schedulers as optax schedules ``count -> lr``.

Step counting: a schedule's argument is the number of ``scheduler.step()`` calls
PyTorch has made before the optimizer step, so ``schedule(i)`` is the learning rate
PyTorch uses for its ``i``-th ``optimizer.step()`` (counting from 0) when the
scheduler is stepped once per optimizer step. optax calls a schedule with its update
count (0 for the first update), so a schedule passed as ``lr=`` counts optimizer
steps. A PyTorch scheduler stepped once per *epoch* (``StepLR(step_size=30)`` in
torchvision's recipes) maps to ``per_epoch(schedule, steps_per_epoch)``, i.e.
``lambda count: schedule(count // steps_per_epoch)``.

PyTorch computes most schedules recursively (each lr from the previous one, in
float64); the closed forms here are written so that float32 keeps their relative
accuracy (cosines as squared sines of reduced angles, powers as ``exp(k log gamma)``
with the logarithm taken in float64, interpolations as sums of positive terms), and
they match PyTorch's sequences to float32 rounding, including past ``T_max`` and the
degenerate arguments (``total_iters=0``) where PyTorch's recursion departs from its
closed form.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import optax

from convjax._src.checks import check_choice, check_count, check_real

Schedule = optax.Schedule  # count -> lr; counts may be Python ints or arrays


class OneCycleSchedule:
    """The :func:`OneCycleLR` lr schedule, with its momentum schedule as ``.momentum``.

    Called like any optax schedule (``count -> lr``); ``momentum`` is the schedule
    of the optimizer's momentum (or ``betas[0]``), or ``None`` without
    ``cycle_momentum``.
    """

    def __init__(self, lr: Schedule, momentum: Schedule | None):
        self._lr = lr
        self.momentum = momentum

    def __call__(self, count: jax.typing.ArrayLike) -> jax.Array:
        return jnp.asarray(self._lr(count))


def _count(count):
    return jnp.asarray(count)


def _nonneg_int(value, name: str, fn: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"`{fn}`: `{name}` must be a non-negative int, got {value!r}.")
    return value


def _power(gamma: float, k):
    """``gamma ** k`` in float32 for an integer array ``k``, to float32 rounding."""
    k = jnp.asarray(k)
    if gamma > 0:
        return jnp.exp(k.astype(jnp.float32) * jnp.float32(math.log(gamma)))
    return jnp.power(jnp.float32(gamma), k)


def _sin2(num, den):
    """``sin(pi/2 * num/den) ** 2`` (``(1 - cos(pi * num/den)) / 2``), for 0 <= num <= den."""
    return jnp.square(jnp.sin((jnp.pi / 2) * (num / den)))


def per_epoch(schedule: Schedule, steps_per_epoch: int) -> Schedule:
    """Turns a schedule of epochs into a schedule of optimizer steps.

    PyTorch's recipes often call ``scheduler.step()`` once per epoch; optax calls
    a schedule with its update count. ``per_epoch(schedule, n)(count)`` is
    ``schedule(count // n)``: the lr PyTorch uses in every step of an epoch.

    Args:
        schedule: a schedule of the epoch (e.g. ``StepLR(lr=0.1, step_size=30)``).
        steps_per_epoch: optimizer steps per epoch.

    Returns:
        A schedule of the optimizer step count.

    >>> from convjax import optim
    >>> sched = optim.per_epoch(optim.StepLR(lr=0.1, step_size=2), steps_per_epoch=3)
    >>> [round(float(sched(i)), 4) for i in range(8)]
    [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.01, 0.01]

    PyTorch parity: ``scheduler.step()`` at the end of each epoch.
    """
    steps_per_epoch = check_count(steps_per_epoch, "steps_per_epoch", "per_epoch")
    return lambda count: schedule(_count(count) // steps_per_epoch)


def StepLR(lr: float, step_size: int, gamma: float = 0.1) -> Schedule:  # noqa: N802
    r"""``lr * gamma ** (count // step_size)``: ``torch.optim.lr_scheduler.StepLR``.

    Counts ``scheduler.step()`` calls (epochs in most PyTorch recipes: wrap with
    :func:`per_epoch`).

    Args:
        lr: the base learning rate (the optimizer's ``lr`` in PyTorch).
        step_size: period of the decay.
        gamma: multiplicative factor of the decay.

    Returns:
        An optax schedule.

    >>> from convjax import optim
    >>> sched = optim.StepLR(lr=1.0, step_size=2, gamma=0.5)
    >>> [float(sched(i)) for i in range(5)]
    [1.0, 1.0, 0.5, 0.5, 0.25]

    PyTorch parity: the same sequence to float32 rounding (``last_epoch`` is dropped:
    resume by offsetting the count).
    """
    lr = check_real(lr, "lr", "StepLR")
    step_size = check_count(step_size, "step_size", "StepLR")
    gamma = check_real(gamma, "gamma", "StepLR")
    return lambda count: lr * _power(gamma, _count(count) // step_size)


def MultiStepLR(lr: float, milestones: Sequence[int], gamma: float = 0.1) -> Schedule:  # noqa: N802
    r"""``lr * gamma ** #{m in milestones: m <= count}``: ``MultiStepLR``.

    Counts ``scheduler.step()`` calls (usually epochs: see :func:`per_epoch`). As in
    PyTorch, a milestone listed twice applies ``gamma`` twice and the order of the
    milestones does not matter.

    Args:
        lr: the base learning rate.
        milestones: counts at which the lr is multiplied by ``gamma``.
        gamma: multiplicative factor.

    Returns:
        An optax schedule.

    >>> from convjax import optim
    >>> sched = optim.MultiStepLR(lr=1.0, milestones=[2, 4], gamma=0.1)
    >>> [round(float(sched(i)), 4) for i in range(6)]
    [1.0, 1.0, 0.1, 0.1, 0.01, 0.01]

    PyTorch parity: the same sequence to float32 rounding.
    """
    lr = check_real(lr, "lr", "MultiStepLR")
    gamma = check_real(gamma, "gamma", "MultiStepLR")
    ms = sorted(_nonneg_int(m, "milestones", "MultiStepLR") for m in milestones)
    values = jnp.asarray([lr * gamma**i for i in range(len(ms) + 1)], jnp.float32)
    edges = jnp.asarray(ms, jnp.int32)
    return lambda count: values[jnp.searchsorted(edges, _count(count), side="right")]


def ExponentialLR(lr: float, gamma: float) -> Schedule:  # noqa: N802
    r"""``lr * gamma ** count``: ``torch.optim.lr_scheduler.ExponentialLR``.

    Counts ``scheduler.step()`` calls (see :func:`per_epoch` for per-epoch stepping).

    Args:
        lr: the base learning rate.
        gamma: multiplicative factor per step.

    Returns:
        An optax schedule.

    >>> from convjax import optim
    >>> sched = optim.ExponentialLR(lr=1.0, gamma=0.5)
    >>> [float(sched(i)) for i in range(4)]
    [1.0, 0.5, 0.25, 0.125]

    PyTorch parity: the same sequence to float32 rounding.
    """
    lr = check_real(lr, "lr", "ExponentialLR")
    gamma = check_real(gamma, "gamma", "ExponentialLR")
    return lambda count: lr * _power(gamma, _count(count))


def CosineAnnealingLR(lr: float, T_max: int, eta_min: float = 0.0) -> Schedule:  # noqa: N802, N803
    r"""Cosine annealing, ``torch.optim.lr_scheduler.CosineAnnealingLR``.

    .. math::
        \eta_t = \eta_{min} + (\eta_0 - \eta_{min})\,
        \frac{1 + \cos(\pi t / T_{max})}{2}

    PyTorch computes it recursively; its recursion follows this closed form past
    ``T_max`` too (the lr climbs back to ``lr`` at ``2 T_max``, with period
    ``2 T_max``), and so does this schedule. Counts ``scheduler.step()`` calls
    (optimizer steps when stepped per batch; :func:`per_epoch` otherwise).

    Args:
        lr: the base (maximum) learning rate :math:`\eta_0`.
        T_max: half period, in counts.
        eta_min: minimum learning rate.

    Returns:
        An optax schedule.

    >>> from convjax import optim
    >>> sched = optim.CosineAnnealingLR(lr=1.0, T_max=4)
    >>> [round(float(sched(i)), 4) for i in range(9)]
    [1.0, 0.8536, 0.5, 0.1464, 0.0, 0.1464, 0.5, 0.8536, 1.0]

    PyTorch parity: PyTorch's (recursive) sequence to float32 rounding, including
    past ``T_max``; unlike ``optax.cosine_decay_schedule``, which stays at the minimum.
    """
    fn = "CosineAnnealingLR"
    lr = check_real(lr, "lr", fn)
    T_max = check_count(T_max, "T_max", fn)  # noqa: N806
    eta_min = check_real(eta_min, "eta_min", fn)

    def schedule(count):
        u = jnp.remainder(_count(count), 2 * T_max)
        d = jnp.abs(T_max - u).astype(jnp.float32)  # distance from the minimum
        return eta_min + (lr - eta_min) * _sin2(d, T_max)

    return schedule


def CosineAnnealingWarmRestarts(  # noqa: N802
    lr: float,
    T_0: int,  # noqa: N803
    T_mult: int = 1,  # noqa: N803
    eta_min: float = 0.0,
) -> Schedule:
    r"""SGDR: cosine annealing with warm restarts (``CosineAnnealingWarmRestarts``).

    .. math::
        \eta_t = \eta_{min} + (\eta_0 - \eta_{min})\,
        \frac{1 + \cos(\pi T_{cur} / T_i)}{2}

    where the ``i``-th cycle lasts :math:`T_i = T_0 T_{mult}^i` counts and
    :math:`T_{cur}` counts from its start. Counts ``scheduler.step()`` calls (PyTorch
    steps it per batch or per epoch; PyTorch's fractional ``step(epoch + i / iters)``
    is not modelled: use per-batch counts with ``T_0`` in batches).

    Args:
        lr: the base learning rate :math:`\eta_0`.
        T_0: length of the first cycle.
        T_mult: growth factor of the cycle length.
        eta_min: minimum learning rate.

    Returns:
        An optax schedule.

    >>> from convjax import optim
    >>> sched = optim.CosineAnnealingWarmRestarts(lr=1.0, T_0=2, T_mult=2)
    >>> [round(float(sched(i)), 4) for i in range(7)]
    [1.0, 0.5, 1.0, 0.8536, 0.5, 0.1464, 1.0]

    PyTorch parity: the same sequence to float32 rounding.
    """
    fn = "CosineAnnealingWarmRestarts"
    lr = check_real(lr, "lr", fn)
    T_0 = check_count(T_0, "T_0", fn)  # noqa: N806
    T_mult = check_count(T_mult, "T_mult", fn)  # noqa: N806
    eta_min = check_real(eta_min, "eta_min", fn)
    if T_mult == 1:
        starts, lengths = [0], [T_0]
    else:  # cycle starts below 2**31 (the int32 count)
        starts, lengths = [0], [T_0]
        while starts[-1] + lengths[-1] < 2**31:
            starts.append(starts[-1] + lengths[-1])
            lengths.append(lengths[-1] * T_mult)
    starts_a = jnp.asarray(starts, jnp.int32)
    lengths_a = jnp.asarray(lengths, jnp.float32)

    def schedule(count):
        count = _count(count)
        if T_mult == 1:
            t_cur, t_i = jnp.remainder(count, T_0), jnp.float32(T_0)
        else:
            n = jnp.searchsorted(starts_a, count, side="right") - 1
            t_cur, t_i = count - starts_a[n], lengths_a[n]
        d = t_i - t_cur.astype(jnp.float32)  # counts left in the cycle
        return eta_min + (lr - eta_min) * _sin2(d, t_i)

    return schedule


def LinearLR(  # noqa: N802
    lr: float,
    start_factor: float = 1.0 / 3,
    end_factor: float = 1.0,
    total_iters: int = 5,
) -> Schedule:
    r"""Linear ramp of the lr factor, ``torch.optim.lr_scheduler.LinearLR``.

    ``lr * (start_factor + (end_factor - start_factor) * min(count, total_iters) /
    total_iters)``; with ``total_iters=0`` PyTorch's recursion keeps
    ``lr * start_factor`` for ever, and so does this schedule. Counts
    ``scheduler.step()`` calls: torchvision's ``--lr-warmup-epochs`` warmup steps it
    once per epoch (wrap in :func:`per_epoch`; see :func:`SequentialLR`).

    Args:
        lr: the base learning rate.
        start_factor: factor at count 0, in (0, 1].
        end_factor: factor from ``total_iters`` on, in [0, 1].
        total_iters: length of the ramp.

    Returns:
        An optax schedule.

    >>> from convjax import optim
    >>> sched = optim.LinearLR(lr=1.0, start_factor=0.25, total_iters=3)
    >>> [float(sched(i)) for i in range(5)]
    [0.25, 0.5, 0.75, 1.0, 1.0]

    PyTorch parity: the same sequence to float32 rounding; the factor ranges are
    PyTorch's.
    """
    fn = "LinearLR"
    lr = check_real(lr, "lr", fn)
    start_factor = check_real(start_factor, "start_factor", fn)
    end_factor = check_real(end_factor, "end_factor", fn)
    total_iters = _nonneg_int(total_iters, "total_iters", fn)
    if not 0 < start_factor <= 1:
        raise ValueError(
            f"`{fn}`: `start_factor` must be in (0, 1], got {start_factor!r}."
        )
    if not 0 <= end_factor <= 1:
        raise ValueError(f"`{fn}`: `end_factor` must be in [0, 1], got {end_factor!r}.")
    if total_iters == 0:
        return lambda count: jnp.full(jnp.shape(count), lr * start_factor, jnp.float32)
    a = lr * start_factor / total_iters
    b = lr * end_factor / total_iters

    def schedule(count):
        k = jnp.minimum(_count(count), total_iters)
        return a * (total_iters - k).astype(jnp.float32) + b * k.astype(jnp.float32)

    return schedule


def ConstantLR(lr: float, factor: float = 1.0 / 3, total_iters: int = 5) -> Schedule:  # noqa: N802
    r"""``lr * factor`` before ``total_iters``, then ``lr``: ``ConstantLR``.

    With ``total_iters=0`` PyTorch's recursion keeps ``lr * factor`` for ever, and so
    does this schedule. Counts ``scheduler.step()`` calls.

    Args:
        lr: the base learning rate.
        factor: factor in [0, 1] applied until ``total_iters``.
        total_iters: number of counts at the reduced rate.

    Returns:
        An optax schedule.

    >>> from convjax import optim
    >>> sched = optim.ConstantLR(lr=1.0, factor=0.5, total_iters=2)
    >>> [float(sched(i)) for i in range(4)]
    [0.5, 0.5, 1.0, 1.0]

    PyTorch parity: the same sequence to float32 rounding (with ``factor=0`` PyTorch
    divides by zero at ``total_iters``; here the lr returns to ``lr``).
    """
    fn = "ConstantLR"
    lr = check_real(lr, "lr", fn)
    factor = check_real(factor, "factor", fn)
    total_iters = _nonneg_int(total_iters, "total_iters", fn)
    if not 0 <= factor <= 1:
        raise ValueError(f"`{fn}`: `factor` must be in [0, 1], got {factor!r}.")
    low = lr * factor
    if total_iters == 0:
        return lambda count: jnp.full(jnp.shape(count), low, jnp.float32)
    return lambda count: jnp.where(_count(count) < total_iters, low, lr).astype(
        jnp.float32
    )


def PolynomialLR(lr: float, total_iters: int = 5, power: float = 1.0) -> Schedule:  # noqa: N802
    r"""``lr * (1 - min(count, total_iters) / total_iters) ** power``: ``PolynomialLR``.

    Counts ``scheduler.step()`` calls; the lr is 0 from ``total_iters`` on
    (``total_iters=0`` keeps ``lr``, as PyTorch's recursion does).

    Args:
        lr: the base learning rate.
        total_iters: length of the decay.
        power: exponent of the polynomial.

    Returns:
        An optax schedule.

    >>> from convjax import optim
    >>> sched = optim.PolynomialLR(lr=1.0, total_iters=4, power=2.0)
    >>> [float(sched(i)) for i in range(6)]
    [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]

    PyTorch parity: the same sequence to float32 rounding.
    """
    fn = "PolynomialLR"
    lr = check_real(lr, "lr", fn)
    total_iters = _nonneg_int(total_iters, "total_iters", fn)
    power = check_real(power, "power", fn)
    if total_iters == 0:
        return lambda count: jnp.full(jnp.shape(count), lr, jnp.float32)

    def schedule(count):
        left = total_iters - jnp.minimum(_count(count), total_iters)
        return lr * jnp.power(left.astype(jnp.float32) / total_iters, power)

    return schedule


def OneCycleLR(  # noqa: N802
    lr: float | None = None,
    max_lr: float | None = None,
    total_steps: int | None = None,
    epochs: int | None = None,
    steps_per_epoch: int | None = None,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    cycle_momentum: bool = True,
    base_momentum: float = 0.85,
    max_momentum: float = 0.95,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
) -> OneCycleSchedule:
    r"""The 1cycle policy, ``torch.optim.lr_scheduler.OneCycleLR``.

    The lr rises from ``max_lr / div_factor`` to ``max_lr`` over the first
    ``pct_start`` of ``total_steps`` (or ``epochs * steps_per_epoch``), then anneals
    (``"cos"`` or ``"linear"``) to ``max_lr / div_factor / final_div_factor``
    (``three_phase``: back down to the initial lr symmetrically, then to the
    minimum). Counts optimizer steps, like PyTorch's per-batch ``scheduler.step()``;
    past ``total_steps`` (where PyTorch raises) the lr stays at its final value.

    Momentum cycling: with ``cycle_momentum`` PyTorch also sets the optimizer's
    momentum (SGD, RMSprop) or ``betas[0]`` (Adam, AdamW) every step, inversely to
    the lr between ``max_momentum`` and ``base_momentum``. Here that schedule is the
    returned schedule's ``.momentum`` attribute (``None`` without
    ``cycle_momentum``); pass it to the optimizer:
    ``optim.SGD(lr=sched, momentum=sched.momentum)`` or
    ``optim.AdamW(lr=sched, betas=(sched.momentum, 0.999))``.

    Args:
        lr: ignored (the lr comes from ``max_lr``); accepted for a uniform calling
            convention.
        max_lr: the peak learning rate (required).
        total_steps: length of the cycle; else ``epochs * steps_per_epoch``.
        epochs: number of epochs (with ``steps_per_epoch``).
        steps_per_epoch: optimizer steps per epoch (with ``epochs``).
        pct_start: fraction of the cycle spent increasing the lr.
        anneal_strategy: ``"cos"`` or ``"linear"``.
        cycle_momentum: also build the momentum schedule (``.momentum``).
        base_momentum: momentum at the peak lr.
        max_momentum: momentum at the start and end.
        div_factor: initial lr is ``max_lr / div_factor``.
        final_div_factor: final lr is the initial lr / ``final_div_factor``.
        three_phase: use the paper's three phases instead of fastai's two.

    Returns:
        An optax schedule with a ``momentum`` attribute.

    >>> from convjax import optim
    >>> sched = optim.OneCycleLR(max_lr=1.0, total_steps=5, pct_start=0.5,
    ...                          div_factor=10.0, anneal_strategy="linear")
    >>> [round(float(sched(i)), 4) for i in range(5)]
    [0.1, 0.7, 0.8, 0.4, 0.0]
    >>> [round(float(sched.momentum(i)), 4) for i in range(5)]
    [0.95, 0.8833, 0.87, 0.91, 0.95]

    PyTorch parity: the same lr and momentum sequences to float32 rounding, for
    steps ``0..total_steps``.
    """
    del lr
    fn = "OneCycleLR"
    if max_lr is None:
        raise ValueError(f"`{fn}`: `max_lr` is required.")
    max_lr = check_real(max_lr, "max_lr", fn)
    if total_steps is not None:
        total = check_count(total_steps, "total_steps", fn)
    elif epochs is not None and steps_per_epoch is not None:
        total = check_count(epochs, "epochs", fn) * check_count(
            steps_per_epoch, "steps_per_epoch", fn
        )
    else:
        raise ValueError(
            f"`{fn}`: give `total_steps`, or `epochs` and `steps_per_epoch`; got "
            f"total_steps={total_steps!r}, epochs={epochs!r}, steps_per_epoch={steps_per_epoch!r}."
        )
    pct_start = check_real(pct_start, "pct_start", fn)
    if not 0 <= pct_start <= 1:
        raise ValueError(f"`{fn}`: `pct_start` must be in [0, 1], got {pct_start!r}.")
    check_choice(anneal_strategy, ("cos", "linear"), "anneal_strategy")
    initial = max_lr / check_real(div_factor, "div_factor", fn)
    minimum = initial / check_real(final_div_factor, "final_div_factor", fn)
    hi_m = check_real(max_momentum, "max_momentum", fn)
    lo_m = check_real(base_momentum, "base_momentum", fn)
    up = float(pct_start * total) - 1
    if three_phase:
        phases = [
            (up, initial, max_lr, hi_m, lo_m),
            (float(2 * pct_start * total) - 2, max_lr, initial, lo_m, hi_m),
            (total - 1, initial, minimum, hi_m, hi_m),
        ]
    else:
        phases = [
            (up, initial, max_lr, hi_m, lo_m),
            (total - 1, max_lr, minimum, lo_m, hi_m),
        ]
    starts = [0.0] + [p[0] for p in phases[:-1]]
    for s, p in zip(starts, phases, strict=True):
        if p[0] == s:
            raise ValueError(
                f"`{fn}`: a phase of the cycle is empty (PyTorch divides by zero): "
                f"total_steps={total}, pct_start={pct_start!r}."
            )
    ends = jnp.asarray([p[0] for p in phases[:-1]], jnp.float32)

    def anneal(column_start, column_end, count):
        step = jnp.minimum(_count(count), total).astype(jnp.float32)
        i = jnp.searchsorted(ends, step, side="left")  # first phase with step <= end
        values = []
        for s, p in zip(starts, phases, strict=True):
            a, b = p[column_start], p[column_end]
            span = p[0] - s
            done = (step - s) / span  # pct
            left = (p[0] - step) / span  # 1 - pct, without cancellation
            if anneal_strategy == "cos":
                # (1 + cos(pi pct)) / 2 and (1 - cos(pi pct)) / 2, both positive
                values.append(a * _sin2(left, 1.0) + b * _sin2(done, 1.0))
            else:
                values.append(a * left + b * done)
        return jnp.choose(i, values, mode="clip")

    def momentum(count):
        return anneal(3, 4, count)

    return OneCycleSchedule(
        lambda count: anneal(1, 2, count), momentum if cycle_momentum else None
    )


def LambdaLR(lr: float, lr_lambda: Callable) -> Schedule:  # noqa: N802
    r"""``lr * lr_lambda(count)``: ``torch.optim.lr_scheduler.LambdaLR``.

    ``lr_lambda`` receives the count as a JAX integer array (traced under ``jit``), so
    it must be written with ``jnp``/arithmetic operations (PyTorch passes a Python
    int). Counts ``scheduler.step()`` calls.

    Args:
        lr: the base learning rate.
        lr_lambda: the factor as a function of the count.

    Returns:
        An optax schedule.

    >>> from convjax import optim
    >>> sched = optim.LambdaLR(lr=0.5, lr_lambda=lambda e: 1.0 / (1.0 + e))
    >>> [float(sched(i)) for i in range(3)]
    [0.5, 0.25, 0.1666666716337204]

    PyTorch parity: the same sequence, up to the float32 evaluation of ``lr_lambda``.
    """
    lr = check_real(lr, "lr", "LambdaLR")
    if not callable(lr_lambda):
        raise TypeError(f"`LambdaLR`: `lr_lambda` must be callable, got {lr_lambda!r}.")
    return lambda count: jnp.asarray(lr * lr_lambda(_count(count)), jnp.float32)


def SequentialLR(schedulers: Sequence[Schedule], milestones: Sequence[int]) -> Schedule:  # noqa: N802
    r"""Runs schedules one after another: ``torch.optim.lr_scheduler.SequentialLR``.

    From count ``milestones[k-1]`` on, the ``k``-th schedule runs from its own count
    0: ``schedulers[k](count - milestones[k-1])``. This is PyTorch's behaviour,
    quirks included: at a milestone PyTorch restarts the next scheduler with
    ``step(0)`` (its closed form at 0), so the lr jumps to that scheduler's start
    even when the previous one had not finished (a warmup cut short jumps); a
    milestone at 0 skips the first schedule; repeated milestones skip schedules.
    Each schedule gets its own ``lr`` here (PyTorch's share the optimizer's lr).
    Counts ``scheduler.step()`` calls, like its schedules.

    torchvision's classification recipe (``--lr-warmup-method linear
    --lr-warmup-epochs 5 --lr-scheduler cosineannealinglr``), stepped per epoch:

    >>> from convjax import optim
    >>> lr, epochs, warmup = 0.5, 600, 5
    >>> sched = optim.SequentialLR(
    ...     schedulers=[optim.LinearLR(lr, start_factor=0.01, total_iters=warmup),
    ...                 optim.CosineAnnealingLR(lr, T_max=epochs - warmup)],
    ...     milestones=[warmup])
    >>> [round(float(sched(i)), 4) for i in (0, 1, 4, 5, 6)]
    [0.005, 0.104, 0.401, 0.5, 0.5]

    Args:
        schedulers: the schedules (any callables of the count).
        milestones: counts at which to switch, ``len(schedulers) - 1`` of them,
            non-decreasing.

    Returns:
        An optax schedule.

    PyTorch parity: the same sequences as PyTorch's SequentialLR over
    ``convjax.optim``'s schedulers, to float32 rounding.
    """
    fn = "SequentialLR"
    schedulers = list(schedulers)
    milestones = [_nonneg_int(m, "milestones", fn) for m in milestones]
    if not schedulers or not all(callable(s) for s in schedulers):
        raise ValueError(f"`{fn}`: `schedulers` must be a non-empty list of schedules.")
    if len(milestones) != len(schedulers) - 1:
        raise ValueError(
            f"`{fn}`: expects len(milestones) == len(schedulers) - 1, got "
            f"{len(milestones)} milestones for {len(schedulers)} schedulers."
        )
    if milestones != sorted(milestones):
        raise ValueError(
            f"`{fn}`: `milestones` must be non-decreasing, got {milestones}."
        )
    offsets = [0, *milestones]
    ms = jnp.asarray(milestones, jnp.int32)

    def schedule(count):
        count = _count(count)
        values = [
            jnp.asarray(s(jnp.maximum(count - off, 0)), jnp.float32)
            for s, off in zip(schedulers, offsets, strict=True)
        ]
        if not milestones:
            return values[0]
        i = jnp.searchsorted(ms, count, side="right")
        return jnp.choose(i, values, mode="clip")

    return schedule
