"""The docs site covers the public API, and its pages quote the README as it is.

The Sphinx build itself (warnings as errors) runs in `.ci/run`; these checks are the
cheap part: every public module gets an API page listing every name in its
``__all__``, and every README section that a docs page includes still exists.
"""

import importlib
import importlib.util
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import convjax

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _conf():
    spec = importlib.util.spec_from_file_location("docs_conf", DOCS / "conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    return conf


def _public_module_names():
    return sorted(
        m.name for m in pkgutil.iter_modules(convjax.__path__) if not m.name[0] == "_"
    )


def test_every_public_module_is_listed_and_gets_a_page():
    modules = [n for n in convjax.__all__ if inspect.ismodule(getattr(convjax, n))]
    assert sorted(modules) == _public_module_names()
    assert ".. autofunction:: convjax.cpu_compiler_options" in _conf().top_level_page()
    assert _conf().public_modules() == _public_module_names()


@pytest.mark.parametrize("name", _public_module_names())
def test_api_page_lists_every_public_name(name):
    page = _conf().api_page(name)
    module = importlib.import_module(f"convjax.{name}")
    assert f".. automodule:: convjax.{name}" in page
    for public in module.__all__:
        obj = getattr(module, public)
        kind = "autoclass" if inspect.isclass(obj) else "autofunction"
        if not callable(obj):
            kind = "autodata"
        assert f".. {kind}:: convjax.{name}.{public}\n" in page, public


def test_readme_sections_included_by_the_docs_exist():
    readme = (ROOT / "README.md").read_text()
    includes = 0
    for page in sorted(DOCS.glob("*.md")):
        text = page.read_text()
        for block in re.findall(
            r"```\{include\} \.\./README\.md\n---\n(.*?)---", text, re.S
        ):
            start = re.search(r'start-after: "(.*)"', block).group(1)
            end = re.search(r'end-before: "(.*)"', block).group(1)
            start, end = (s.replace("\\n", "\n") for s in (start, end))
            assert readme.count(start) == 1, (page.name, start)
            assert readme.index(start) < readme.index(end), (page.name, end)
            includes += 1
    assert includes >= 5  # getting started, porting, examples, benchmarks, differences


@pytest.mark.parametrize("name", _public_module_names())
def test_signatures_show_short_aliases(name):
    """help() prints the aliases as written, never their expansions."""
    module = importlib.import_module(f"convjax.{name}")
    for public in module.__all__:
        obj = getattr(module, public)
        if not callable(obj):
            continue
        try:
            text = str(inspect.signature(obj))
        except (TypeError, ValueError):
            continue
        assert "Union[" not in text and "jaxlib" not in text, (public, text)
        assert len(text) < 600, (public, text)
