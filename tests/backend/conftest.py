"""C-backend test setup. The compile cache already points at a per-run temporary directory
(tests/conftest.py sets GRAPHLAB_CACHE_DIR); tests that need a cache of their own use
`private_cache`, which points GRAPHLAB_CACHE_DIR at a fresh directory for one test."""

from __future__ import annotations


import pytest

from graphlab_kernel.backend.c import runtime
from tests.toolchain import require_compiler


@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    """A fresh, empty cache directory (mode 0700) for this test only."""
    path = tmp_path / "cache"
    monkeypatch.setenv("GRAPHLAB_CACHE_DIR", str(path))
    runtime._loaded.clear()
    yield path
    runtime._loaded.clear()


@pytest.fixture(autouse=True)
def _require_compiler():
    require_compiler()
