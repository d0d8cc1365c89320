"""The examples run end to end in their fast mode (a few steps), in a subprocess.

Each writes its figures to a temporary directory; the test checks the exit code,
the PNG files and the key line of the output. ``examples/port_pytorch.py`` is
covered by ``tests/test_interop.py``.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

EXAMPLES = {
    "train_digits": (
        ["train_digits_curves.png", "train_digits_confusion.png"],
        r"test accuracy: [\d.]+%",
    ),
    "box_regression": (["box_regression.png"], r"\| CIoU \| [\d.]+ \|"),
    "color_and_resize": (
        ["color_grid.png", "resize_grid.png"],
        r"saved .*resize_grid.png",
    ),
    "sync_batch_norm": (["sync_batch_norm.png"], r"SyncBatchNorm max loss difference"),
}


def _run(script, *args, timeout=300):
    env = dict(os.environ, TQDM_DISABLE="1", MPLBACKEND="Agg")
    env.pop("XLA_FLAGS", None)
    return subprocess.run(
        [sys.executable, str(ROOT / "examples" / f"{script}.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_fast_mode(name, tmp_path):
    figures, pattern = EXAMPLES[name]
    done = _run(name, "--fast", "--out", str(tmp_path))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert re.search(pattern, done.stdout), done.stdout[-2000:]
    for figure in figures:
        path = tmp_path / figure
        assert path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", figure
    if name == "sync_batch_norm":  # synchronized data parallel == one device
        diff = float(re.search(r"loss difference: ([\d.e+-]+)", done.stdout).group(1))
        assert diff < 1e-5
        assert "4 devices, SyncBatchNorm" in done.stdout
    if name == "train_digits":
        assert "DigitsNet summary" in done.stdout  # the model summary comes first


def test_port_pytorch_runs():
    done = _run("port_pytorch")
    assert done.returncode == 0, done.stderr[-4000:]
