"""Docstring templates shared by the 1d/2d/3d variants of a function or module."""

from __future__ import annotations

_LAYOUT = {
    1: dict(fmt="NCW", cl="NWC", shape="(N, C, W)", k="kW", out="W'"),
    2: dict(fmt="NCHW", cl="NHWC", shape="(N, C, H, W)", k="kH, kW", out="H', W'"),
    3: dict(
        fmt="NCDHW",
        cl="NDHWC",
        shape="(N, C, D, H, W)",
        k="kD, kH, kW",
        out="D', H', W'",
    ),
}


def nd_doc(template: str, n: int, **sizes: int) -> str:
    """Fills ``template`` for ``n`` spatial dims.

    Fields: ``{n}``, the layout names ``{fmt}`` (channels first), ``{cl}`` (channels
    last), ``{shape}``, ``{k}`` (kernel dims), ``{out}`` (output dims), ``{kones}``
    (``3, 3`` for a 3x3 kernel in 2-D), and for each ``name=size`` keyword a field
    ``{name}`` reading ``, size, size`` (one entry per spatial dim).

    >>> nd_doc("x = jnp.ones((1, 2{s}))  # {fmt}", 2, s=5)
    'x = jnp.ones((1, 2, 5, 5))  # NCHW'
    """
    fields = dict(_LAYOUT[n], n=n, kones=", ".join(["3"] * n))
    fields.update({name: f", {size}" * n for name, size in sizes.items()})
    return template.format(**fields)
