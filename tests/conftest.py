"""Shared test configuration: strict jax numerics and the eager/jit `variant` fixture."""

import jax
import numpy as np
import pytest

# Golden scripts import torch; they are run by hand, never collected.
collect_ignore_glob = ["golden/*.py"]

jax.config.update("jax_numpy_rank_promotion", "raise")
jax.config.update("jax_default_matmul_precision", "highest")


@pytest.fixture(params=["eager", "jit"])
def variant(request):
    """Runs a function as is, or under `jax.jit`."""
    return (lambda f: f) if request.param == "eager" else jax.jit


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def pytest_terminal_summary(terminalreporter):
    """One line for the conv-grid pairs that were never generated (not skips)."""
    from tests.conv_utils import DECLINED

    if DECLINED:
        terminalreporter.write_line(
            f"conv grids: {len(DECLINED)} (case, implementation) pairs not generated: "
            'the implementation declines the case, and impl="auto" never picks it there'
        )
