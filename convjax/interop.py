"""PyTorch interoperability: ``from convjax import interop``.

Load a PyTorch ``state_dict`` into a ``convjax.nn`` model whose attribute names mirror
the PyTorch model, and export one back, without importing torch.
"""

from __future__ import annotations

from convjax._src.interop import IncompatibleKeys as IncompatibleKeys
from convjax._src.interop import load_torch_state_dict as load_torch_state_dict
from convjax._src.interop import named_state as named_state
from convjax._src.interop import to_torch_state_dict as to_torch_state_dict

__all__ = [
    "IncompatibleKeys",
    "load_torch_state_dict",
    "named_state",
    "to_torch_state_dict",
]
