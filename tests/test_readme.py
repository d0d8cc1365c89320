"""The README's figures, numbers and example commands stay true.

Numbers that take minutes to reproduce are rechecked by ``scripts/check_readme.py``
(run by hand); here: every claim it checks is still in the README, the figures the
README shows exist and come from an example, and every example answers ``--help``
at once. ``tests/test_examples.py`` compares the port example's printed logits
difference with the README's.
"""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
EXAMPLES = sorted(p.name for p in (ROOT / "examples").glob("*.py"))


def _check_readme():
    path = ROOT / "scripts" / "check_readme.py"
    spec = importlib.util.spec_from_file_location("check_readme", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


CHECK = _check_readme()


@pytest.mark.parametrize("claim", CHECK.CLAIMS, ids=lambda c: c.name)
def test_every_checked_claim_is_in_the_readme(claim):
    written = CHECK.readme_value(claim, README)  # exactly one match
    float(written)
    assert f"python {claim.command[0]}" in README, claim.command  # the command shown


def test_check_compares_as_written():
    claim = CHECK.CLAIMS[0]
    text = re.sub(
        claim.readme, lambda m: m.group(0).replace(m.group(1), "97.50"), README
    )
    assert CHECK.check(claim, text, "test accuracy: 97.50% (1/1)")[0]
    assert not CHECK.check(claim, text, "test accuracy: 97.22% (1/1)")[0]


def test_readme_figures_exist_and_come_from_an_example():
    shown = re.findall(r"\]\((examples/figures/[^)]+)\)", README)
    assert shown
    for path in shown:
        assert (ROOT / path).is_file(), path
        stem = Path(path).stem
        writers = [
            name for name in EXAMPLES if stem in (ROOT / "examples" / name).read_text()
        ]
        assert writers, f"no example writes {stem}"
    committed = {
        f"examples/figures/{p.name}" for p in (ROOT / "examples/figures").iterdir()
    }
    assert committed <= set(shown), committed - set(shown)


def test_every_example_answers_help():
    env = dict(os.environ, TQDM_DISABLE="1", MPLBACKEND="Agg")
    procs = {
        name: subprocess.Popen(
            [sys.executable, str(ROOT / "examples" / name), "--help"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in EXAMPLES
    }
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, (name, err[-2000:])
        assert out.startswith("usage:"), (name, out[:500])
