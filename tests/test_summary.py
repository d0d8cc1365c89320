"""summary(): every submodule listed, params and MACs add up; the CLI prints it."""

import math
import re
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import pytest
from flax import nnx

from convjax import nn
from convjax.analysis import conv_macs, count_flops, summary

ROOT = Path(__file__).resolve().parents[1]


class FlaxBlock(nnx.Module):
    def __init__(self, rngs):
        self.conv = nnx.Conv(3, 8, (3, 3), padding="VALID", rngs=rngs)
        self.bn = nnx.BatchNorm(8, rngs=rngs)
        self.unused = nnx.Linear(2, 2, rngs=rngs)

    def __call__(self, x):
        with jax.named_scope("inner"):  # user scopes inside modules are fine
            return nnx.relu(self.bn(self.conv(x)))


class FlaxNet(nnx.Module):
    def __init__(self, rngs):
        self.block = FlaxBlock(rngs)
        self.head = nnx.Linear(8, 10, rngs=rngs)
        self.scale = nnx.Param(jnp.ones(3))

    def __call__(self, x):
        x = self.block(x).mean((1, 2))
        return self.head(x) + self.head(x)


def make_model(rngs: nnx.Rngs, width: int = 8):
    """A convjax model (also the CLI test's factory)."""
    return nnx.Sequential(
        nn.Conv2d(3, width, 3, padding=1, rngs=rngs),
        nn.BatchNorm2d(width),
        nn.ReLU(),
        nn.SeparableConv2d(width, 2 * width, 3, stride=2, rngs=rngs),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nnx.Linear(2 * width, 10, rngs=rngs),  # flax's own layers mix in
    )


def _rows(table: str):
    lines = table.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("==="))
    stop = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("---"))
    rows = []
    for line in lines[start + 1 : stop]:
        label, kind, shape, params, macs = re.split(r"\s{2,}", line.strip())
        rows.append((label, kind, shape, params, macs))
    return rows, lines[stop:]


def _num(cell: str) -> int:
    return 0 if cell in ("--", "(recurring)") else int(cell.replace(",", ""))


def _total(footer, label) -> int:
    line = next(f for f in footer if f.startswith(label))
    return int(re.search(r"([\d,]+)", line[len(label) :]).group(1).replace(",", ""))


def test_flax_modules_every_submodule_and_totals():
    model = FlaxNet(nnx.Rngs(0))
    call_before = nnx.Conv.__call__
    table = summary(model, jnp.ones((2, 10, 10, 3)))
    assert nnx.Conv.__call__ is call_before
    rows, footer = _rows(table)
    labels = [r[0] for r in rows]
    expected = {".".join(map(str, p)) or "FlaxNet" for p, _ in nnx.iter_modules(model)}
    assert set(labels) == expected
    assert labels == [
        "FlaxNet",
        "block",
        "block.conv",
        "block.bn",
        "block.unused",
        "head",
        "head",
    ]
    by_label = {r[0]: r for r in rows}
    assert by_label["block.conv"][2] == "[2, 8, 8, 8]"
    assert by_label["block.unused"][2] == "--"
    assert rows[-1][3] == "(recurring)"
    params = nnx.state(model, nnx.Param)
    n_params = sum(math.prod(x.shape) for x in jax.tree.leaves(params))
    assert n_params == 3 * 3 * 3 * 8 + 8 + 16 + 6 + 90 + 3
    assert sum(_num(r[3]) for r in rows) == n_params
    assert _total(footer, "Total params:") == n_params
    assert _total(footer, "Non-trainable state (BatchStat, ...):") == 16
    conv = 2 * 8 * 8 * 8 * 27
    assert _num(by_label["block.conv"][4]) == conv
    assert [_num(r[4]) for r in rows if r[0] == "head"] == [2 * 80, 2 * 80]
    assert sum(_num(r[4]) for r in rows) == _total(footer, "Total MACs:") == conv + 320
    assert (
        _total(footer, "Total FLOPs:")
        == count_flops(model, jnp.ones((2, 10, 10, 3))).total
    )


def test_convjax_model_matches_formulas():
    # an abstract model (nnx.eval_shape): nothing is allocated, as in the CLI
    model = nnx.eval_shape(lambda: make_model(nnx.Rngs(0)))
    x = jax.ShapeDtypeStruct((2, 3, 16, 16), jnp.float32)
    rows, footer = _rows(summary(model, x))
    by_label = {r[0]: r for r in rows}
    expected = {".".join(map(str, p)) for p, _ in nnx.iter_modules(model)} - {
        "",
        "layers",
    }
    assert expected <= set(by_label)
    conv0 = by_label["layers.0"]
    assert (conv0[1], conv0[2]) == ("Conv2d", "[2, 8, 16, 16]")
    assert _num(conv0[4]) == conv_macs(3, 8, 3, (16, 16), batch=2)
    assert _num(by_label["layers.3.depthwise"][4]) == conv_macs(
        8, 8, 3, (7, 7), groups=8, batch=2
    )
    assert _num(by_label["layers.3.pointwise"][4]) == conv_macs(
        8, 16, 1, (7, 7), batch=2
    )
    assert by_label["layers.3"][2] == "[2, 16, 7, 7]"
    assert by_label["layers.6"][2] == "[2, 10]"
    n_params = sum(
        math.prod(v.shape) for v in jax.tree.leaves(nnx.state(model, nnx.Param))
    )
    assert _total(footer, "Total params:") == n_params == sum(_num(r[3]) for r in rows)


def test_errors():
    with pytest.raises(TypeError, match="`module` must be a flax.nnx.Module"):
        summary(lambda x: x, jnp.ones(2))


def test_cli_prints_summary():
    cmd = [sys.executable, "-m", "convjax.analysis", "tests.test_summary:make_model"]
    done = subprocess.run(
        [*cmd, "--input", "1,3,32,32", "--kw", "width=4", "--eval", "--backward"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "layers.3.depthwise" in done.stdout
    assert "[1, 4, 32, 32]" in done.stdout
    assert "Forward + backward FLOPs:" in done.stdout
    cls = subprocess.run(  # a Module class taking `rngs` works as the factory
        [*cmd[:3], "tests/test_summary.py:FlaxNet", "--input", "1,6,6,3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cls.returncode == 0, cls.stderr
    assert "block.conv" in cls.stdout and "[1, 4, 4, 8]" in cls.stdout
    bad = subprocess.run(
        [*cmd[:3], "tests.test_summary", "--input", "1,3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode != 0
    assert "MODULE:FACTORY" in bad.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--input", "1,3,8,8", "--dtype", "floatt"], "bad dtype 'floatt'"),
        (["--input", "1,-3"], "bad shape '1,-3'"),
    ],
)
def test_cli_rejects_bad_dtype_and_shape(args, message, capsys):
    from convjax.analysis.__main__ import main

    with pytest.raises(SystemExit) as exit_info:
        main(["tests.test_summary:make_model", *args])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
