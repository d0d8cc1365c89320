"""PyTorch's optimizers and learning-rate schedulers for optax: ``from convjax import optim``.

Optimizers (``SGD``, ``Adam``, ``AdamW``, ``RMSprop``, ``Adagrad``, ``Adadelta``) take
PyTorch's arguments minus ``params`` and return an ``optax.GradientTransformation``
that moves parameters exactly as ``torch.optim`` does (to float32 rounding); ``lr``
may be a float or a schedule. Schedulers take ``lr`` (the base learning rate) plus
PyTorch's arguments minus ``optimizer`` and return an optax schedule
``count -> lr``: ``schedule(i)`` is the lr of PyTorch's ``i``-th ``optimizer.step()``
when ``scheduler.step()`` follows every optimizer step; wrap a per-epoch scheduler in
``per_epoch(schedule, steps_per_epoch)``. ``ReduceLROnPlateau`` is a transformation
chained after the optimizer and stepped with the metric. ``param_groups`` labels a
model's parameters for ``optax.partition`` (PyTorch's parameter groups).
"""

from __future__ import annotations

from convjax._src.optim.groups import param_groups as param_groups
from convjax._src.optim.optimizers import SGD as SGD
from convjax._src.optim.optimizers import Adadelta as Adadelta
from convjax._src.optim.optimizers import Adagrad as Adagrad
from convjax._src.optim.optimizers import Adam as Adam
from convjax._src.optim.optimizers import AdamW as AdamW
from convjax._src.optim.optimizers import RMSprop as RMSprop
from convjax._src.optim.plateau import ReduceLROnPlateau as ReduceLROnPlateau
from convjax._src.optim.plateau import ReduceLROnPlateauState as ReduceLROnPlateauState
from convjax._src.optim.schedulers import ConstantLR as ConstantLR
from convjax._src.optim.schedulers import CosineAnnealingLR as CosineAnnealingLR
from convjax._src.optim.schedulers import (
    CosineAnnealingWarmRestarts as CosineAnnealingWarmRestarts,
)
from convjax._src.optim.schedulers import ExponentialLR as ExponentialLR
from convjax._src.optim.schedulers import LambdaLR as LambdaLR
from convjax._src.optim.schedulers import LinearLR as LinearLR
from convjax._src.optim.schedulers import MultiStepLR as MultiStepLR
from convjax._src.optim.schedulers import OneCycleLR as OneCycleLR
from convjax._src.optim.schedulers import PolynomialLR as PolynomialLR
from convjax._src.optim.schedulers import SequentialLR as SequentialLR
from convjax._src.optim.schedulers import StepLR as StepLR
from convjax._src.optim.schedulers import per_epoch as per_epoch

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "ExponentialLR",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "OneCycleLR",
    "PolynomialLR",
    "RMSprop",
    "ReduceLROnPlateau",
    "ReduceLROnPlateauState",
    "SequentialLR",
    "StepLR",
    "param_groups",
    "per_epoch",
]
