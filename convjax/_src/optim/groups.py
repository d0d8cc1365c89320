"""PyTorch's parameter groups as labels for ``optax.partition``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jax
from flax import nnx

from convjax._src.modules_norm import _BatchNorm

NORM_CLASSES = (
    _BatchNorm,
    nnx.BatchNorm,
    nnx.LayerNorm,
    nnx.GroupNorm,
    nnx.RMSNorm,
)


def _key(entry):
    if isinstance(entry, jax.tree_util.DictKey):
        return entry.key
    if isinstance(entry, jax.tree_util.SequenceKey):
        return entry.idx
    if isinstance(entry, jax.tree_util.GetAttrKey):
        return entry.name
    return getattr(entry, "key", entry)


def param_groups(
    model: nnx.Module,
    *,
    norm_classes: Sequence[type] | None = None,
    custom_keys: Sequence[str] = (),
) -> Callable:
    """Labels a model's parameters like torchvision's ``set_weight_decay`` groups.

    Each parameter gets the label ``"norm"`` if its module is a normalisation layer
    (``norm_classes``; default: convjax's ``BatchNorm*``/``SyncBatchNorm`` and
    flax's ``BatchNorm``, ``LayerNorm``, ``GroupNorm``, ``RMSNorm``), the key itself
    if its name (or, for a key with a dot, its dotted path) is one of
    ``custom_keys`` (checked first, e.g. ``"bias"``), else ``"other"``. Give the
    result to ``optax.partition`` with one optimizer per label, e.g. torchvision's
    ``--norm-weight-decay 0.0``:

    >>> import optax
    >>> from flax import nnx
    >>> from convjax import nn, optim
    >>> model = nnx.Sequential(nn.Conv2d(3, 8, 3, bias=False, rngs=nnx.Rngs(0)),
    ...                        nn.BatchNorm2d(8))
    >>> labels = optim.param_groups(model)
    >>> tx = optax.partition(
    ...     {"other": optim.SGD(lr=0.1, momentum=0.9, weight_decay=1e-4),
    ...      "norm": optim.SGD(lr=0.1, momentum=0.9, weight_decay=0.0)},
    ...     labels)
    >>> optimizer = nnx.Optimizer(model, tx, wrt=nnx.Param)
    >>> labels(nnx.state(model, nnx.Param))["layers"][1]["weight"].get_value()
    'norm'

    Args:
        model: the NNX model whose ``nnx.state(model, nnx.Param)`` is optimized.
        norm_classes: module types whose parameters are labelled ``"norm"``.
        custom_keys: parameter names (``"bias"``) or dotted paths
            (``"fc.weight"``) that get their own label.

    Returns:
        A function ``params -> labels`` (same tree, string leaves), as
        ``optax.partition``'s ``param_labels``.

    PyTorch parity: the groups of torchvision's ``set_weight_decay(model,
    weight_decay, norm_weight_decay, norm_classes, custom_keys_weight_decay)``;
    each group's options are its optimizer's arguments.
    """
    norm_classes = tuple(NORM_CLASSES if norm_classes is None else norm_classes)
    norm_paths = {
        tuple(path)
        for path, node in nnx.iter_graph(model)
        if isinstance(node, norm_classes)
    }
    custom_keys = tuple(custom_keys)

    def label(path, _):
        keys = tuple(_key(k) for k in path)
        if keys and keys[-1] == "value":  # the array inside an nnx.Variable
            keys = keys[:-1]
        name = str(keys[-1])
        dotted = ".".join(str(k) for k in keys)
        for key in custom_keys:
            if key == (dotted if "." in key else name):
                return key
        return "norm" if keys[:-1] in norm_paths else "other"

    return lambda params: jax.tree_util.tree_map_with_path(label, params)
