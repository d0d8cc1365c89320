"""The examples run end to end in a subprocess.

The training examples run in their fast mode (a few steps) and write their figures
to a temporary directory; the test checks the exit code, the PNG files and the key
line of the output. ``port_pytorch.py`` and ``conv_tour.py`` are short and run as
they are (their numbers are also checked in ``tests/test_interop.py`` and
``tests/test_conv_golden.py``).
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
    "train_digits_torchvision": (
        ["train_digits_curves.png", "train_digits_confusion.png"],
        r"test accuracy: [\d.]+% .*\(torchvision recipe\)",
    ),
}
# name -> (script, extra arguments) for runs of a script with other options
VARIANTS = {"train_digits_torchvision": ("train_digits", ["--recipe", "torchvision"])}


def _command(script, *args):
    return [sys.executable, str(ROOT / "examples" / f"{script}.py"), *args]


def _env():
    env = dict(os.environ, TQDM_DISABLE="1", MPLBACKEND="Agg")
    env.pop("XLA_FLAGS", None)
    return env


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Starts every example at once (they are compile-bound; 2 cores overlap them)."""
    procs = {}
    for name in sorted(EXAMPLES):
        out = tmp_path_factory.mktemp(name)
        script, extra = VARIANTS.get(name, (name, []))
        proc = subprocess.Popen(
            _command(script, "--fast", "--out", str(out), *extra),
            cwd=ROOT,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        procs[name] = (proc, out)
    results = {}
    try:
        for name, (proc, out) in procs.items():
            stdout, stderr = proc.communicate(timeout=600)
            results[name] = (proc.returncode, stdout, stderr, out)
    finally:
        for proc, _ in procs.values():
            if proc.poll() is None:
                proc.kill()
    return results


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_fast_mode(name, runs):
    figures, pattern = EXAMPLES[name]
    returncode, stdout, stderr, out = runs[name]
    assert returncode == 0, stdout[-2000:] + stderr[-4000:]
    assert re.search(pattern, stdout), stdout[-2000:]
    for figure in figures:
        path = out / figure
        assert path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", figure
    if name == "sync_batch_norm":  # synchronized data parallel == one device
        diff = float(re.search(r"loss difference: ([\d.e+-]+)", stdout).group(1))
        assert diff < 1e-5
        assert "4 devices, SyncBatchNorm" in stdout
    if name.startswith("train_digits"):
        assert "DigitsNet summary" in stdout  # the model summary comes first


def test_port_pytorch_runs():
    done = subprocess.run(
        _command("port_pytorch"),
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    # The README's "max difference" is this run's largest (exact recheck:
    # scripts/check_readme.py); a factor of 2 leaves room for another CPU's kernels.
    readme = (ROOT / "README.md").read_text()
    written = float(re.search(r"eval logits \(max difference ([\d.e+-]+)", readme)[1])
    printed = max(
        map(float, re.findall(r"\| [\w-]+ \| \d+ \| ([\d.e+-]+) \|", done.stdout))
    )
    assert written / 2 <= printed <= written * 2, (written, done.stdout)


def test_port_torchvision_without_torchvision():
    """Where torchvision is missing (here: hidden), it explains and exits 0."""
    hide = (
        "import runpy, sys; sys.modules['torch'] = sys.modules['torchvision'] = None; "
        f"sys.argv = ['port_torchvision.py']; runpy.run_path({str(ROOT / 'examples' / 'port_torchvision.py')!r}, run_name='__main__')"
    )
    done = subprocess.run(
        [sys.executable, "-c", hide],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert "needs torch and torchvision" in done.stdout
    helped = subprocess.run(
        _command("port_torchvision", "--help"),
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert helped.returncode == 0 and "usage:" in helped.stdout


def test_conv_tour_matches_pytorch_goldens():
    proc = subprocess.run(
        _command("conv_tour"),
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert re.search(r"parity with PyTorch .* -> OK", proc.stdout), proc.stdout
