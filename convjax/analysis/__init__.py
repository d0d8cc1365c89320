"""Output-size, parameter and FLOP formulas, FLOP counting and model summaries."""

from convjax._src.flops import FlopCounter as FlopCounter
from convjax._src.flops import FlopReport as FlopReport
from convjax._src.flops import count_flops as count_flops
from convjax._src.formulas import conv_flops as conv_flops
from convjax._src.formulas import conv_macs as conv_macs
from convjax._src.formulas import conv_output_size as conv_output_size
from convjax._src.formulas import conv_params as conv_params
from convjax._src.formulas import (
    conv_transpose_output_padding as conv_transpose_output_padding,
)
from convjax._src.formulas import (
    conv_transpose_output_size as conv_transpose_output_size,
)
from convjax._src.summary import summary as summary

__all__ = [
    "FlopCounter",
    "FlopReport",
    "conv_flops",
    "conv_macs",
    "conv_output_size",
    "conv_params",
    "conv_transpose_output_padding",
    "conv_transpose_output_size",
    "count_flops",
    "summary",
]
