"""``torch.optim`` optimizers as ``optax.GradientTransformation`` chains.

Each optimizer is a chain of optax's own transformations where they give PyTorch's
numbers (``scale``, ``add_decayed_weights``, ``trace``, ``scale_by_rms``,
``scale_by_stddev``, ``scale_by_adadelta``, ``scale_by_learning_rate``) and a few
small transformations written here where PyTorch's update differs from optax's:

* ``_momentum``: SGD's buffer is the (undampened) gradient on the first step, then
  ``momentum * buf + (1 - dampening) * grad``; optax's ``trace`` has no dampening.
* ``_scale_by_torch_adam``: PyTorch divides ``sqrt(v)`` by ``sqrt(1 - beta2**t)`` and
  adds ``eps`` after; AMSGrad keeps the maximum of the *uncorrected* ``v``. The bias
  corrections are computed as ``-expm1(t * log(beta))`` so that they keep float64-like
  relative accuracy in float32 (``1 - 0.999**t`` in float32 is off by 1e-5).
* ``_scale_by_torch_adagrad``: ``eps`` is added after the square root (optax's
  ``scale_by_rss`` adds it inside).

``lr`` may be a float or a schedule (a function of the update count, e.g. one of
``convjax.optim``'s schedulers), as in optax; ``momentum`` (SGD, RMSprop) and
``betas[0]`` (Adam, AdamW) may also be schedules, which is how ``OneCycleLR``'s
momentum cycling is applied (``OneCycleLR(...).momentum``).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from convjax._src.checks import check_real

ScalarOrSchedule = optax.ScalarOrSchedule  # a float, or a schedule count -> value


def _check_hyper(value, name: str, fn: str, *, lo=0.0, hi=None, hi_open=False):
    """Checks a float hyperparameter (schedules pass through) against PyTorch's range."""
    if callable(value):
        return value
    value = check_real(value, name, fn)
    bad = value < lo or (hi is not None and (value >= hi if hi_open else value > hi))
    if bad or math.isnan(value):
        upper = "" if hi is None else f" and {'<' if hi_open else '<='} {hi}"
        raise ValueError(f"`{fn}`: `{name}` must be >= {lo}{upper}, got {value!r}.")
    return value


def _at(value, count):
    """The value of a float-or-schedule hyperparameter at ``count``."""
    return value(count) if callable(value) else value


def _one_minus_pow(beta, t):
    """``1 - beta**t`` for float32 ``t``, accurate to float32 rounding.

    ``beta`` as a Python float has its logarithm taken in float64, so the result keeps
    the relative accuracy PyTorch's float64 ``1 - beta**step`` has.
    """
    if isinstance(beta, jax.Array):
        beta = jnp.asarray(beta, jnp.float32)
        return jnp.where(beta > 0, -jnp.expm1(t * jnp.log(beta)), 1.0)
    if beta == 0.0:
        return jnp.ones_like(t)
    return -jnp.expm1(t * math.log(beta))


def _maximize(maximize: bool):
    return optax.scale(-1.0) if maximize else optax.identity()


def _weight_decay(weight_decay: float):
    return optax.add_decayed_weights(weight_decay) if weight_decay else optax.identity()


class MomentumState(NamedTuple):
    """State of ``_momentum``: the update count and the momentum buffer."""

    count: jax.Array  # type: ignore[assignment]  # optax's state field name; shadows tuple.count
    trace: Any


def _momentum(momentum, dampening: float = 0.0, nesterov: bool = False):
    """PyTorch's momentum buffer: ``g`` first, then ``m * buf + (1 - dampening) * g``.

    With a float ``momentum`` and no dampening this is exactly ``optax.trace``
    (whose zero-initialised buffer gives ``g`` on the first step), which is used.
    """
    if not callable(momentum) and dampening == 0.0:
        return optax.trace(decay=momentum, nesterov=nesterov)

    def init_fn(params):
        return MomentumState(jnp.zeros([], jnp.int32), optax.tree.zeros_like(params))

    def update_fn(updates, state, params=None):
        del params
        m = _at(momentum, state.count)
        first = state.count == 0
        trace = jax.tree.map(
            lambda g, b: jnp.where(first, g, m * b + (1.0 - dampening) * g),
            updates,
            state.trace,
        )
        if nesterov:
            updates = jax.tree.map(lambda g, b: g + m * b, updates, trace)
        else:
            updates = trace
        return updates, MomentumState(optax.safe_increment(state.count), trace)

    return optax.GradientTransformation(init_fn, update_fn)


class TorchAdamState(NamedTuple):
    """State of ``_scale_by_torch_adam`` (``max_exp_avg_sq`` is ``None`` without AMSGrad)."""

    count: jax.Array  # type: ignore[assignment]  # optax's state field name; shadows tuple.count
    exp_avg: Any
    exp_avg_sq: Any
    max_exp_avg_sq: Any


def _lerp(start, end, weight):
    """``torch.lerp``: ``start + w * (end - start)`` for ``w < 0.5``, else from ``end``."""
    if callable(weight) or isinstance(weight, jax.Array):
        return jnp.where(
            weight < 0.5,
            start + weight * (end - start),
            end - (end - start) * (1.0 - weight),
        )
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


def _scale_by_torch_adam(beta1, beta2: float, eps: float, amsgrad: bool):
    """Adam's direction ``exp_avg / (sqrt(v) / sqrt(bc2) + eps) / bc1`` as in PyTorch."""

    def init_fn(params):
        zeros = optax.tree.zeros_like(params)
        return TorchAdamState(
            count=jnp.zeros([], jnp.int32),
            exp_avg=zeros,
            exp_avg_sq=zeros,
            max_exp_avg_sq=zeros if amsgrad else None,
        )

    def update_fn(updates, state, params=None):
        del params
        b1 = _at(beta1, state.count)  # the momentum of this step (OneCycleLR cycles it)
        count = optax.safe_increment(state.count)
        t = count.astype(jnp.float32)
        w1 = (1.0 - b1) if not callable(beta1) else 1.0 - jnp.asarray(b1, jnp.float32)
        exp_avg = jax.tree.map(lambda m, g: _lerp(m, g, w1), state.exp_avg, updates)
        exp_avg_sq = jax.tree.map(
            lambda v, g: v * beta2 + (1.0 - beta2) * g * g, state.exp_avg_sq, updates
        )
        if amsgrad:
            max_sq = jax.tree.map(jnp.maximum, state.max_exp_avg_sq, exp_avg_sq)
            second = max_sq
        else:
            max_sq, second = None, exp_avg_sq
        bc1 = _one_minus_pow(b1, t)
        bc2_sqrt = jnp.sqrt(_one_minus_pow(beta2, t))
        updates = jax.tree.map(
            lambda m, v: m / (jnp.sqrt(v) / bc2_sqrt + eps) / bc1, exp_avg, second
        )
        return updates, TorchAdamState(count, exp_avg, exp_avg_sq, max_sq)

    return optax.GradientTransformation(init_fn, update_fn)


class CountState(NamedTuple):
    """The update count (of ``_decoupled_weight_decay``)."""

    count: jax.Array  # type: ignore[assignment]  # optax's state field name; shadows tuple.count


def _decoupled_weight_decay(lr, weight_decay: float):
    """AdamW's decay: adds ``(c - 1) * p`` with ``c = float32(1 - lr * wd)``.

    PyTorch multiplies the parameters by ``1 - lr * weight_decay`` rounded to float32;
    that rounding biases every step the same way (1e-6 relative after 50 steps at
    ``lr * wd = 5e-4``), so the factor is rounded the same way here (``c - 1`` is
    exact in float32).
    """

    def init_fn(params):
        del params
        return CountState(jnp.zeros([], jnp.int32))

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError(
                "`AdamW` needs `params` in `update(grads, state, params)`."
            )
        if callable(lr):
            c = 1.0 - lr(state.count) * weight_decay
        else:
            c = jnp.float32(1.0 - lr * weight_decay)
        updates = jax.tree.map(
            lambda u, p: u + (c.astype(p.dtype) - 1) * p, updates, params
        )
        return updates, CountState(optax.safe_increment(state.count))

    return optax.GradientTransformation(init_fn, update_fn)


class TorchAdagradState(NamedTuple):
    """State of ``_scale_by_torch_adagrad``: the running sum of squared gradients."""

    sum: Any


def _scale_by_torch_adagrad(initial_accumulator_value: float, eps: float):
    """``g / (sqrt(sum) + eps)`` with ``sum += g * g`` (``eps`` outside the root)."""

    def init_fn(params):
        return TorchAdagradState(
            optax.tree.full_like(params, initial_accumulator_value)
        )

    def update_fn(updates, state, params=None):
        del params
        total = jax.tree.map(lambda s, g: s + g * g, state.sum, updates)
        updates = jax.tree.map(lambda g, s: g / (jnp.sqrt(s) + eps), updates, total)
        return updates, TorchAdagradState(total)

    return optax.GradientTransformation(init_fn, update_fn)


def SGD(  # noqa: N802 (PyTorch's class name)
    lr: ScalarOrSchedule = 1e-3,
    momentum: ScalarOrSchedule = 0.0,
    dampening: float = 0.0,
    weight_decay: float = 0.0,
    nesterov: bool = False,
    *,
    maximize: bool = False,
) -> optax.GradientTransformation:
    r"""``torch.optim.SGD`` as an optax transformation.

    .. math::
        g_t &= \pm\nabla + \lambda \theta_{t-1}, \quad
        b_t = \begin{cases} g_t & t = 1 \\ \mu b_{t-1} + (1 - \tau) g_t & t > 1
        \end{cases} \\
        \theta_t &= \theta_{t-1} - \gamma_t\,(g_t + \mu b_t \text{ if nesterov else } b_t)

    Args:
        lr: learning rate :math:`\gamma`, a float or a schedule of the update count.
        momentum: :math:`\mu` (0 disables the buffer); a float or a schedule.
        dampening: :math:`\tau`; not applied on the first step (the buffer starts as
            the gradient).
        weight_decay: L2 penalty :math:`\lambda` added to the gradient.
        nesterov: Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
        maximize: ascend instead of descend (the gradient is negated first).

    Returns:
        An ``optax.GradientTransformation``; apply with ``optax.apply_updates`` or
        ``flax.nnx.Optimizer``.

    >>> import jax.numpy as jnp, optax
    >>> from convjax import optim
    >>> tx = optim.SGD(lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)
    >>> params = {"w": jnp.array([1.0, -2.0])}
    >>> grads = {"w": jnp.array([0.5, 0.5])}
    >>> updates, state = tx.update(grads, tx.init(params), params)
    >>> optax.apply_updates(params, updates)["w"]
    Array([ 0.904981 , -2.0949621], dtype=float32)

    PyTorch parity: ``foreach``, ``fused`` and ``differentiable`` (implementation
    switches) are not taken; parameters match ``torch.optim.SGD`` to float32 rounding.
    """
    fn = "SGD"
    _check_hyper(lr, "lr", fn)
    _check_hyper(momentum, "momentum", fn)
    dampening = check_real(dampening, "dampening", fn)
    weight_decay = _check_hyper(weight_decay, "weight_decay", fn)
    if nesterov and (dampening != 0 or (not callable(momentum) and momentum <= 0)):
        raise ValueError(
            f"`{fn}`: Nesterov momentum requires `momentum` > 0 and `dampening` == 0, "
            f"got momentum={momentum!r}, dampening={dampening!r}."
        )
    use_momentum = callable(momentum) or momentum != 0
    return optax.chain(
        _maximize(maximize),
        _weight_decay(weight_decay),
        _momentum(momentum, dampening, nesterov) if use_momentum else optax.identity(),
        optax.scale_by_learning_rate(lr),
    )


def _check_betas(betas, fn: str):
    if not isinstance(betas, tuple | list) or len(betas) != 2:
        raise ValueError(f"`{fn}`: `betas` must be a pair, got {betas!r}.")
    b1 = _check_hyper(betas[0], "betas[0]", fn, hi=1.0, hi_open=True)
    b2 = _check_hyper(betas[1], "betas[1]", fn, hi=1.0, hi_open=True)
    if callable(b2):
        raise TypeError(f"`{fn}`: `betas[1]` must be a float, got {b2!r}.")
    return b1, b2


def Adam(  # noqa: N802 (PyTorch's class name)
    lr: ScalarOrSchedule = 1e-3,
    betas: tuple[ScalarOrSchedule, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    amsgrad: bool = False,
    *,
    maximize: bool = False,
    decoupled_weight_decay: bool = False,
) -> optax.GradientTransformation:
    r"""``torch.optim.Adam`` as an optax transformation.

    .. math::
        m_t &= \operatorname{lerp}(m_{t-1}, g_t, 1 - \beta_1), \quad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2, \quad
        \hat v_t = \max(\hat v_{t-1}, v_t) \text{ (amsgrad) else } v_t \\
        \theta_t &= \theta_{t-1} - \frac{\gamma_t}{1 - \beta_1^t}\,
        \frac{m_t}{\sqrt{\hat v_t} / \sqrt{1 - \beta_2^t} + \epsilon}

    with :math:`g_t = \pm\nabla + \lambda\theta_{t-1}` (L2 penalty), or, with
    ``decoupled_weight_decay=True`` (AdamW), :math:`\theta_{t-1}` first scaled by
    :math:`1 - \gamma_t\lambda`.

    Args:
        lr: learning rate, a float or a schedule of the update count.
        betas: :math:`(\beta_1, \beta_2)`; :math:`\beta_1` may be a schedule (the
            bias correction uses the current :math:`\beta_1`, as PyTorch does when
            ``OneCycleLR`` cycles it).
        eps: added to the bias-corrected root of the second moment.
        weight_decay: :math:`\lambda`.
        amsgrad: keep the running maximum of the (uncorrected) second moment.
        maximize: ascend instead of descend.
        decoupled_weight_decay: AdamW's decay (see :func:`AdamW`).

    Returns:
        An ``optax.GradientTransformation``.

    >>> import jax.numpy as jnp, optax
    >>> from convjax import optim
    >>> tx = optim.Adam(lr=0.1)
    >>> params = jnp.array([1.0, -2.0])
    >>> updates, _ = tx.update(jnp.array([0.5, -3.0]), tx.init(params))
    >>> optax.apply_updates(params, updates)
    Array([ 0.9, -1.9], dtype=float32)

    PyTorch parity: ``foreach``, ``fused``, ``capturable`` and ``differentiable``
    (implementation switches) are not taken; complex parameters are not supported.
    Parameters match ``torch.optim.Adam`` to float32 rounding.
    """
    fn = "AdamW" if decoupled_weight_decay else "Adam"
    _check_hyper(lr, "lr", fn)
    beta1, beta2 = _check_betas(betas, fn)
    eps = _check_hyper(eps, "eps", fn)
    weight_decay = _check_hyper(weight_decay, "weight_decay", fn)
    adam = _scale_by_torch_adam(beta1, beta2, eps, bool(amsgrad))
    if decoupled_weight_decay:
        decay = _decoupled_weight_decay(lr, weight_decay) if weight_decay else None
        parts = (adam, optax.scale_by_learning_rate(lr), decay or optax.identity())
    else:
        parts = (_weight_decay(weight_decay), adam, optax.scale_by_learning_rate(lr))
    return optax.chain(_maximize(maximize), *parts)


def AdamW(  # noqa: N802 (PyTorch's class name)
    lr: ScalarOrSchedule = 1e-3,
    betas: tuple[ScalarOrSchedule, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
    amsgrad: bool = False,
    *,
    maximize: bool = False,
) -> optax.GradientTransformation:
    r"""``torch.optim.AdamW``: :func:`Adam` with decoupled weight decay.

    The parameters are first scaled by :math:`1 - \gamma_t\lambda` (the decay is
    multiplied by the learning rate, unlike the paper's), then take Adam's step;
    as an update: :math:`-\gamma_t(\text{adam}_t + \lambda\theta_{t-1})`.

    Args:
        lr: learning rate, a float or a schedule.
        betas: :math:`(\beta_1, \beta_2)` (:math:`\beta_1` may be a schedule).
        eps: added to the bias-corrected root of the second moment.
        weight_decay: :math:`\lambda` (default 0.01, as PyTorch).
        amsgrad: AMSGrad variant.
        maximize: ascend instead of descend.

    Returns:
        An ``optax.GradientTransformation``.

    >>> import jax.numpy as jnp, optax
    >>> from convjax import optim
    >>> tx = optim.AdamW(lr=0.1, weight_decay=0.5)
    >>> params = jnp.array([1.0, -2.0])
    >>> updates, _ = tx.update(jnp.array([0.5, -3.0]), tx.init(params), params)
    >>> optax.apply_updates(params, updates)
    Array([ 0.85, -1.8 ], dtype=float32)

    PyTorch parity: as :func:`Adam`; matches ``torch.optim.AdamW`` to float32 rounding.
    """
    return Adam(
        lr,
        betas,
        eps,
        weight_decay,
        amsgrad,
        maximize=maximize,
        decoupled_weight_decay=True,
    )


def RMSprop(  # noqa: N802 (PyTorch's class name)
    lr: ScalarOrSchedule = 1e-2,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: ScalarOrSchedule = 0.0,
    centered: bool = False,
    *,
    maximize: bool = False,
) -> optax.GradientTransformation:
    r"""``torch.optim.RMSprop`` as an optax transformation.

    .. math::
        v_t &= \alpha v_{t-1} + (1 - \alpha) g_t^2, \quad
        \bar g_t = \operatorname{lerp}(\bar g_{t-1}, g_t, 1 - \alpha)
        \text{ (centered)} \\
        d_t &= g_t / (\sqrt{v_t - \bar g_t^2} + \epsilon), \quad
        b_t = \mu b_{t-1} + d_t \text{ (momentum > 0)}, \quad
        \theta_t = \theta_{t-1} - \gamma_t\,(b_t \text{ or } d_t)

    (:math:`\bar g = 0` without ``centered``; note ``eps`` is added *outside* the
    square root, unlike ``optax.rmsprop``'s default, and the smoothing constant is
    ``alpha=0.99``, not optax's ``decay=0.9``.) Built from ``optax.scale_by_rms`` /
    ``optax.scale_by_stddev`` with ``eps_in_sqrt=False`` and ``optax.trace``.

    Args:
        lr: learning rate, a float or a schedule.
        alpha: smoothing constant.
        eps: added to the denominator.
        weight_decay: L2 penalty added to the gradient.
        momentum: momentum factor (a float or a schedule).
        centered: normalise by the estimated variance of the gradient.
        maximize: ascend instead of descend.

    Returns:
        An ``optax.GradientTransformation``.

    >>> import jax.numpy as jnp, optax
    >>> from convjax import optim
    >>> tx = optim.RMSprop(lr=0.01)
    >>> params = jnp.array([1.0])
    >>> updates, _ = tx.update(jnp.array([2.0]), tx.init(params))
    >>> optax.apply_updates(params, updates)
    Array([0.90000004], dtype=float32)

    PyTorch parity: ``foreach``, ``capturable`` and ``differentiable`` are not taken;
    matches ``torch.optim.RMSprop`` to float32 rounding.
    """
    fn = "RMSprop"
    _check_hyper(lr, "lr", fn)
    alpha = _check_hyper(alpha, "alpha", fn)
    eps = _check_hyper(eps, "eps", fn)
    weight_decay = _check_hyper(weight_decay, "weight_decay", fn)
    _check_hyper(momentum, "momentum", fn)
    scale = optax.scale_by_stddev if centered else optax.scale_by_rms
    use_momentum = callable(momentum) or momentum > 0
    return optax.chain(
        _maximize(maximize),
        _weight_decay(weight_decay),
        scale(decay=alpha, eps=eps, initial_scale=0.0, eps_in_sqrt=False),
        _momentum(momentum) if use_momentum else optax.identity(),
        optax.scale_by_learning_rate(lr),
    )


def Adagrad(  # noqa: N802 (PyTorch's class name)
    lr: ScalarOrSchedule = 1e-2,
    lr_decay: float = 0.0,
    weight_decay: float = 0.0,
    initial_accumulator_value: float = 0.0,
    eps: float = 1e-10,
    *,
    maximize: bool = False,
) -> optax.GradientTransformation:
    r"""``torch.optim.Adagrad`` as an optax transformation.

    .. math::
        s_t = s_{t-1} + g_t^2, \quad
        \theta_t = \theta_{t-1} - \frac{\gamma_t}{1 + (t - 1)\eta}\,
        \frac{g_t}{\sqrt{s_t} + \epsilon}

    with :math:`s_0` = ``initial_accumulator_value`` and :math:`\eta` = ``lr_decay``
    (``eps`` outside the root, unlike ``optax.adagrad``).

    Args:
        lr: learning rate, a float or a schedule.
        lr_decay: :math:`\eta`.
        weight_decay: L2 penalty added to the gradient.
        initial_accumulator_value: :math:`s_0`.
        eps: added to the denominator.
        maximize: ascend instead of descend.

    Returns:
        An ``optax.GradientTransformation``.

    >>> import jax.numpy as jnp, optax
    >>> from convjax import optim
    >>> tx = optim.Adagrad(lr=0.5)
    >>> params = jnp.array([1.0])
    >>> updates, _ = tx.update(jnp.array([-4.0]), tx.init(params))
    >>> optax.apply_updates(params, updates)
    Array([1.5], dtype=float32)

    PyTorch parity: ``foreach``, ``fused`` and ``differentiable`` are not taken and
    sparse gradients are not supported; matches ``torch.optim.Adagrad`` to float32
    rounding.
    """
    fn = "Adagrad"
    _check_hyper(lr, "lr", fn)
    lr_decay = _check_hyper(lr_decay, "lr_decay", fn)
    weight_decay = _check_hyper(weight_decay, "weight_decay", fn)
    initial_accumulator_value = _check_hyper(
        initial_accumulator_value, "initial_accumulator_value", fn
    )
    eps = _check_hyper(eps, "eps", fn)
    rate = lr
    if lr_decay:
        rate = lambda count: _at(lr, count) / (1.0 + count * lr_decay)  # noqa: E731
    return optax.chain(
        _maximize(maximize),
        _weight_decay(weight_decay),
        _scale_by_torch_adagrad(initial_accumulator_value, eps),
        optax.scale_by_learning_rate(rate),
    )


def Adadelta(  # noqa: N802 (PyTorch's class name)
    lr: ScalarOrSchedule = 1.0,
    rho: float = 0.9,
    eps: float = 1e-6,
    weight_decay: float = 0.0,
    *,
    maximize: bool = False,
) -> optax.GradientTransformation:
    r"""``torch.optim.Adadelta`` as an optax transformation.

    .. math::
        v_t &= \rho v_{t-1} + (1 - \rho) g_t^2, \quad
        d_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t, \quad
        u_t = \rho u_{t-1} + (1 - \rho) d_t^2, \\
        \theta_t &= \theta_{t-1} - \gamma_t d_t

    (``optax.scale_by_adadelta`` followed by the learning rate.)

    Args:
        lr: learning rate (default 1.0, as PyTorch), a float or a schedule.
        rho: decay of the running averages.
        eps: added inside both square roots.
        weight_decay: L2 penalty added to the gradient.
        maximize: ascend instead of descend.

    Returns:
        An ``optax.GradientTransformation``.

    >>> import jax.numpy as jnp, optax
    >>> from convjax import optim
    >>> tx = optim.Adadelta()
    >>> updates, _ = tx.update(jnp.array([1.0]), tx.init(jnp.zeros(1)))
    >>> updates
    Array([-0.00316226], dtype=float32)

    PyTorch parity: ``foreach``, ``capturable`` and ``differentiable`` are not taken;
    matches ``torch.optim.Adadelta`` to float32 rounding.
    """
    fn = "Adadelta"
    _check_hyper(lr, "lr", fn)
    rho = _check_hyper(rho, "rho", fn, hi=1.0)
    eps = _check_hyper(eps, "eps", fn)
    weight_decay = _check_hyper(weight_decay, "weight_decay", fn)
    return optax.chain(
        _maximize(maximize),
        _weight_decay(weight_decay),
        optax.scale_by_adadelta(rho=rho, eps=eps),
        optax.scale_by_learning_rate(lr),
    )
