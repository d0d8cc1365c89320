"""Type aliases shared by convjax's functions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from jax import Array
from jax.typing import ArrayLike, DTypeLike

IntOrSeq = int | Sequence[int]
PaddingLike = int | Sequence[int] | Literal["valid", "same"]
PaddingMode = Literal["zeros", "reflect", "replicate", "circular"]
Reduction = Literal["none", "mean", "sum"]

__all__ = [
    "Array",
    "ArrayLike",
    "DTypeLike",
    "IntOrSeq",
    "PaddingLike",
    "PaddingMode",
    "Reduction",
]
