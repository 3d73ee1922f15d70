"""Session-wide test setup: a private compile cache for this test run.

The cache directory is shared by the xdist workers of one run (and the notebook kernels they
start, which inherit the environment), so each generated C function compiles once per run and the
user's own cache is never touched.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest


def _run_cache_dir() -> Path:
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid{os.getpid()}"
    path = Path(tempfile.gettempdir()) / f"graphlab-test-cache-{run_id}"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


if "GRAPHLAB_TEST_KEEP_CACHE" not in os.environ:
    os.environ["GRAPHLAB_CACHE_DIR"] = str(_run_cache_dir())


@pytest.fixture(params=["c", "numpy"])
def backend(request):
    """Each backend in turn, for a test taking `backend` (C skipped where no compiler is, failed
    under CI). A test parametrizing `backend` itself chooses its own."""
    if request.param == "c":
        from tests.toolchain import require_compiler
        require_compiler()
    return request.param
