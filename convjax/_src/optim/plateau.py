"""``torch.optim.lr_scheduler.ReduceLROnPlateau`` as a stateful optax transformation.

``optax.contrib.reduce_on_plateau`` is close but not PyTorch's rule: it reduces after
``patience`` bad evaluations (PyTorch: after more than ``patience``), has no ``max``
mode, combines ``rtol``/``atol`` instead of ``threshold_mode``, rejects a zero
threshold, bounds a scale instead of the lr (``min_lr``) and has no ``eps``; and it
takes the metric at every update. This transformation holds PyTorch's state and is
stepped with the metric whenever PyTorch's ``scheduler.step(metric)`` would be called
(usually once per epoch, with a validation loss).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax
from flax import nnx

from convjax._src.checks import check_choice, check_real


class ReduceLROnPlateauState(NamedTuple):
    """PyTorch's scheduler state: the current lr and the plateau bookkeeping."""

    lr: jax.Array
    best: jax.Array
    num_bad_epochs: jax.Array
    cooldown_counter: jax.Array
    last_epoch: jax.Array


class ReduceLROnPlateauTransformation(optax.GradientTransformation):
    """An ``optax.GradientTransformation`` with a ``step(opt_state, metrics)`` method."""

    def step(self, opt_state, metrics):
        """Steps every :class:`ReduceLROnPlateauState` found in ``opt_state``.

        ``opt_state`` may be a plain optax state (a new state is returned) or an
        ``nnx.Optimizer``'s ``opt_state`` (updated in place, and returned).
        """
        return self._step(opt_state, metrics)  # set per instance

    def __new__(cls, init, update, step=None):
        self = super().__new__(cls, init, update)
        self._step = step
        return self

    def __getnewargs__(self):  # copy/deepcopy/pickle keep ``step``
        return (self.init, self.update, self._step)


def _read(x):
    return x.get_value() if isinstance(x, nnx.Variable) else x


def ReduceLROnPlateau(  # noqa: N802 (PyTorch's class name)
    lr: float,
    mode: str = "min",
    factor: float = 0.1,
    patience: int = 10,
    threshold: float = 1e-4,
    threshold_mode: str = "rel",
    cooldown: int = 0,
    min_lr: float = 0.0,
    eps: float = 1e-8,
) -> ReduceLROnPlateauTransformation:
    r"""Reduces the lr when a metric stops improving (``ReduceLROnPlateau``).

    Chain it after an optimizer built with the same ``lr``; it scales the updates by
    ``current_lr / lr``. Call ``.step(opt_state, metric)`` where PyTorch calls
    ``scheduler.step(metric)`` (it counts those calls, usually epochs; the optimizer
    steps in between use the current lr):

    * improvement: ``metric < best * (1 - threshold)`` (``rel``, ``min``),
      ``metric < best - threshold`` (``abs``), ``> best * (1 + threshold)`` and
      ``> best + threshold`` in ``max`` mode;
    * after more than ``patience`` steps without improvement the lr becomes
      ``max(lr * factor, min_lr)`` (unless that changes it by ``eps`` or less), the
      bad-step count restarts and ``cooldown`` steps follow in which bad steps are
      not counted.

    Args:
        lr: the optimizer's learning rate (the starting lr).
        mode: ``"min"`` or ``"max"``.
        factor: multiplier of the lr on a plateau, < 1.
        patience: bad steps tolerated before reducing.
        threshold: significance of an improvement.
        threshold_mode: ``"rel"`` or ``"abs"``.
        cooldown: steps after a reduction during which bad steps are ignored.
        min_lr: lower bound on the lr.
        eps: reductions of at most ``eps`` are skipped.

    Returns:
        A :class:`ReduceLROnPlateauTransformation`. ``opt_state``'s
        :class:`ReduceLROnPlateauState` has the current ``lr``.

    >>> import jax.numpy as jnp, optax
    >>> from convjax import optim
    >>> plateau = optim.ReduceLROnPlateau(lr=0.1, patience=1, factor=0.5)
    >>> tx = optax.chain(optim.SGD(lr=0.1), plateau)
    >>> params = jnp.zeros(2)
    >>> state = tx.init(params)
    >>> for val_loss in [1.0, 0.9, 0.9, 0.9]:  # per epoch: train, then evaluate
    ...     updates, state = tx.update(jnp.ones(2), state, params)
    ...     state = plateau.step(state, val_loss)
    >>> state[1].lr
    Array(0.05, dtype=float32)

    With ``flax.nnx.Optimizer``: ``plateau.step(optimizer.opt_state, val_loss)``
    (in place).

    PyTorch parity: PyTorch's rule, one lr (per-group ``min_lr`` lists are not
    taken: use one transformation per ``optax.partition`` group); the lr is kept in
    float32.
    """
    fn = "ReduceLROnPlateau"
    lr = check_real(lr, "lr", fn)
    check_choice(mode, ("min", "max"), "mode")
    check_choice(threshold_mode, ("rel", "abs"), "threshold_mode")
    factor = check_real(factor, "factor", fn)
    if factor >= 1.0:
        raise ValueError(f"`{fn}`: `factor` must be < 1.0, got {factor!r}.")
    threshold = check_real(threshold, "threshold", fn)
    min_lr = check_real(min_lr, "min_lr", fn)
    eps = check_real(eps, "eps", fn)
    for name, value in (("patience", patience), ("cooldown", cooldown)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"`{fn}`: `{name}` must be an int, got {value!r}.")
    sign = 1.0 if mode == "min" else -1.0

    def init_fn(params):
        del params
        return ReduceLROnPlateauState(
            lr=jnp.asarray(lr, jnp.float32),
            best=jnp.asarray(sign * math.inf, jnp.float32),
            num_bad_epochs=jnp.zeros([], jnp.int32),
            cooldown_counter=jnp.zeros([], jnp.int32),
            last_epoch=jnp.zeros([], jnp.int32),
        )

    def update_fn(updates, state, params=None):
        del params
        scale = state.lr / lr if lr else jnp.zeros([], jnp.float32)
        return jax.tree.map(lambda u: scale.astype(u.dtype) * u, updates), state

    def is_better(a, best):
        if mode == "min" and threshold_mode == "rel":
            return a < best * (1.0 - threshold)
        if mode == "min":
            return a < best - threshold
        if threshold_mode == "rel":
            return a > best * (threshold + 1.0)
        return a > best + threshold

    def step_state(s: ReduceLROnPlateauState, metrics) -> ReduceLROnPlateauState:
        current = jnp.asarray(metrics, jnp.float32)
        better = is_better(current, s.best)
        best = jnp.where(better, current, s.best)
        bad = jnp.where(better, 0, s.num_bad_epochs + 1)
        in_cooldown = s.cooldown_counter > 0
        counter = jnp.where(in_cooldown, s.cooldown_counter - 1, s.cooldown_counter)
        bad = jnp.where(in_cooldown, 0, bad)
        reduce = bad > patience
        new_lr = jnp.maximum(s.lr * factor, min_lr)
        new_lr = jnp.where(reduce & (s.lr - new_lr > eps), new_lr, s.lr)
        return ReduceLROnPlateauState(
            lr=new_lr.astype(jnp.float32),
            best=best,
            num_bad_epochs=jnp.where(reduce, 0, bad).astype(jnp.int32),
            cooldown_counter=jnp.where(reduce, cooldown, counter).astype(jnp.int32),
            last_epoch=s.last_epoch + 1,
        )

    def step(opt_state, metrics):
        def visit(node):
            if not isinstance(node, ReduceLROnPlateauState):
                return node
            new = step_state(ReduceLROnPlateauState(*map(_read, node)), metrics)
            if isinstance(node.lr, nnx.Variable):  # nnx.Optimizer: in place
                for var, value in zip(node, new, strict=True):
                    var.set_value(value)
                return node
            return new

        is_state = lambda x: isinstance(x, ReduceLROnPlateauState)  # noqa: E731
        return jax.tree.map(visit, opt_state, is_leaf=is_state)

    return ReduceLROnPlateauTransformation(init_fn, update_fn, step)
