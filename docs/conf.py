"""Sphinx configuration: `python -m sphinx -W -b html docs docs/_build/html`.

The API pages are generated here from each public module's ``__all__``: every module
named in ``convjax.__all__`` gets ``api/<name>.rst`` with one entry per public name, so
a new public function or class needs no docs edit, and a new public module only its
line in ``convjax/__init__.py``.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))

import convjax  # noqa: E402

project = "convjax"
author = "convjax contributors"
copyright = "convjax contributors"  # noqa: A001
release = version = convjax.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
myst_heading_anchors = 3
myst_enable_extensions = ["dollarmath"]
suppress_warnings = ["myst.header"]  # included README sections start below level 1

# Google-style docstrings with reST math; the signature keeps the short aliases.
napoleon_google_docstring = True
napoleon_numpy_docstring = False
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
autosummary_generate = False

html_theme = "alabaster"
html_title = f"convjax {version}"
html_static_path: list[str] = []


def public_modules() -> list[str]:
    """The public modules: the ones ``convjax/__init__.py`` lists in ``__all__``."""
    return sorted(n for n in convjax.__all__ if inspect.ismodule(getattr(convjax, n)))


def top_level_page() -> str:
    """reST for the names ``convjax`` itself exports besides its modules."""
    names = [n for n in convjax.__all__ if n not in public_modules()]
    lines = ["``convjax``", "===========", "", ".. automodule:: convjax", ""]
    for n in names:
        lines += [f".. autofunction:: convjax.{n}", ""]
    return "\n".join(lines)


def api_page(name: str) -> str:
    """reST for one public module: its docstring, a summary table, every public name."""
    module = importlib.import_module(f"convjax.{name}")
    full = f"convjax.{name}"
    lines = [f"``{full}``", "=" * (len(full) + 4), "", f".. automodule:: {full}", ""]
    names = list(module.__all__)
    lines += [".. autosummary::", ""] + [f"   {n}" for n in names] + [""]
    for n in names:
        obj = getattr(module, n)
        if inspect.isclass(obj):
            lines += [f".. autoclass:: {full}.{n}", "   :members:", ""]
        elif callable(obj):
            lines += [f".. autofunction:: {full}.{n}", ""]
        else:
            lines += [f".. autodata:: {full}.{n}", "   :annotation:", ""]
    return "\n".join(lines)


def write_api_pages(app=None) -> list[str]:
    """Writes ``api/<module>.rst`` and ``api/index.rst``; returns the module names."""
    out = DOCS / "api"
    out.mkdir(exist_ok=True)
    names = public_modules()
    for name in names:
        page = out / f"{name}.rst"
        text = api_page(name)
        if not page.exists() or page.read_text() != text:
            page.write_text(text)
    index = [
        "API reference",
        "=============",
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "",
    ]
    page = out / "convjax.rst"
    text = top_level_page()
    if not page.exists() or page.read_text() != text:
        page.write_text(text)
    index += ["   convjax"] + [f"   {name}" for name in names]
    text = "\n".join(index) + "\n"
    if not (out / "index.rst").exists() or (out / "index.rst").read_text() != text:
        (out / "index.rst").write_text(text)
    return names


class _Source(str):
    """An annotation shown as written in the source (``ArrayLike | None``)."""

    def __repr__(self) -> str:
        return str(self)


def short_signature(app, what, name, obj, options, signature, return_annotation):
    """Shows annotations as written (``IntOrSeq``), not as Sphinx expands them.

    convjax's modules use ``from __future__ import annotations``, so the annotations
    are the source text; the defaults are the source text too
    (``autodoc_preserve_defaults``).
    """
    if what not in ("function", "class", "method") or signature is None:
        return None
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    params = list(sig.parameters.values())
    if what == "method" and params and params[0].name in ("self", "cls"):
        params = params[1:]
    for i, p in enumerate(params):
        if isinstance(p.annotation, str):
            p = p.replace(annotation=_Source(p.annotation))
        if p.default is not p.empty and isinstance(
            p.default, type
        ):  # jnp.float32, not <class '...'>
            module = p.default.__module__.replace("jax.numpy", "jnp")
            p = p.replace(default=_Source(f"{module}.{p.default.__qualname__}"))
        params[i] = p
    ret = sig.return_annotation
    shown = str(sig.replace(parameters=params, return_annotation=sig.empty))
    if ret is sig.empty or what == "class":
        return shown, None
    return shown, ret if isinstance(ret, str) else inspect.formatannotation(ret)


def setup(app):
    app.connect("builder-inited", write_api_pages)
    app.connect("autodoc-process-signature", short_signature)
