"""The C toolchain in tests: without one a C test is skipped, except under CI, which has a
compiler, so that a missing one fails there instead of passing unseen."""

from __future__ import annotations

import os

import pytest

from graphlab_kernel.backend.c import runtime


def require_compiler() -> None:
    """Skip the calling test if the C backend cannot compile here (fail it under CI)."""
    problem = runtime.toolchain_problem()
    if problem is None:
        return
    message = f"C backend unavailable: {problem}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
