"""The compile cache: 0700 directory, unsafe directories refused, atomic entries, a lock shared by
concurrent processes, corrupt entries rebuilt; and the NumPy fallback when there is no compiler."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

import graphlab_kernel.tensor as T
from graphlab_kernel import function
from graphlab_kernel.backend.c import cache, runtime


def _compile(scale: float = 3.0):
    x = T.dvector("x")
    return function([x], T.tanh(x) * scale, backend="c")


def _entries(path: Path) -> list[Path]:
    """The compiled functions in the cache (not the thread pool's library, also kept there)."""
    return sorted(p for p in path.glob("_gl_*.so") if not p.name.startswith("_gl_pool_"))


def test_directory_is_created_private_and_entries_published(private_cache):
    f = _compile()
    assert f.backend == "c"
    assert (os.stat(private_cache).st_mode & 0o777) == 0o700
    [so] = _entries(private_cache)
    assert so.with_suffix(".json").exists()
    assert not [p for p in private_cache.iterdir() if p.name.startswith(".")], "temp files left"
    np.testing.assert_allclose(f(np.array([0.5])), np.tanh([0.5]) * 3)


def test_unsafe_directory_is_refused(tmp_path, monkeypatch):
    unsafe = tmp_path / "shared"
    unsafe.mkdir()
    os.chmod(unsafe, 0o777)
    monkeypatch.setenv("GRAPHLAB_CACHE_DIR", str(unsafe))
    monkeypatch.setattr(cache, "_private_fallback", None)
    runtime._loaded.clear()
    with pytest.warns(RuntimeWarning, match="other users"):
        f = _compile(4.0)
    assert f.backend == "c"
    assert _entries(unsafe) == [], "nothing may be written to or loaded from an unsafe directory"
    with pytest.raises(cache.UnsafeCacheDir):
        cache.check_private(unsafe)


def _compile_elsewhere(cache_dir: Path, scale: float) -> None:
    """Compile `_compile(scale)` in another process (this one must not map the library: a
    loaded library whose file is overwritten in place would crash it)."""
    code = f"from tests.backend.test_cache import _compile; _compile({scale})"
    env = dict(os.environ, GRAPHLAB_CACHE_DIR=str(cache_dir))
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=Path(__file__).parents[2])


def test_corrupt_or_truncated_entry_is_rebuilt(private_cache):
    _compile_elsewhere(private_cache, 5.0)
    [so] = _entries(private_cache)
    good_size = so.stat().st_size
    so.write_bytes(so.read_bytes()[: good_size // 2])  # truncated
    assert not cache.entry_is_valid(private_cache, so.stem)
    f = _compile(5.0)
    assert cache.entry_is_valid(private_cache, so.stem) and so.stat().st_size == good_size
    np.testing.assert_allclose(f(np.array([1.0])), np.tanh([1.0]) * 5)


def test_corrupt_manifest_is_rebuilt(private_cache):
    _compile_elsewhere(private_cache, 5.5)
    [so] = _entries(private_cache)
    so.with_suffix(".json").write_text("{not json")
    assert not cache.entry_is_valid(private_cache, so.stem)
    _compile(5.5)
    assert cache.entry_is_valid(private_cache, so.stem)


def test_a_cached_entry_is_not_recompiled(private_cache, monkeypatch):
    _compile(6.0)
    runtime._loaded.clear()

    def fail(*args, **kwargs):
        raise AssertionError("compiled although the entry is cached")
    monkeypatch.setattr(runtime, "_run_all", fail)
    assert _compile(6.0).backend == "c"


SCRIPT = textwrap.dedent("""
    import sys, numpy as np
    import graphlab_kernel.backend.c.runtime as runtime
    calls = []
    original = runtime._run_all
    def counted(commands):
        calls.append(1)
        return original(commands)
    runtime._run_all = counted
    import graphlab_kernel.tensor as T
    from graphlab_kernel import function
    x = T.dvector("x")
    f = function([x], T.log1p(T.exp(x)) * 7.25, backend="c")
    assert f.backend == "c"
    assert np.allclose(f(np.array([0.0])), np.log(2) * 7.25)
    print(len(calls))
""")


def test_concurrent_processes_compile_once_and_all_succeed(private_cache):
    env = dict(os.environ, GRAPHLAB_CACHE_DIR=str(private_cache))
    procs = [subprocess.Popen([sys.executable, "-c", SCRIPT], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    results = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in results]
    compiles = sum(int(out.split()[-1]) for out, _ in results)
    # one kernel + wrapper step, one link step and the thread pool's library, in one process only
    assert compiles == 3
    assert len(_entries(private_cache)) == 1


def test_no_compiler_falls_back_to_numpy_with_one_warning(monkeypatch):
    monkeypatch.setenv("CC", "/nonexistent/graphlab-cc")
    from graphlab_kernel import backend
    backend._warned.clear()
    x = T.dvector("x")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = function([x], x * 2)
        g = function([x], x * 3)
    assert f.backend == g.backend == "numpy"
    assert len([w for w in caught if "C backend is unavailable" in str(w.message)]) == 1
    assert "C backend is unavailable" in f.fallback_reason
    assert "/nonexistent/graphlab-cc" in f.fallback_reason
    np.testing.assert_array_equal(f(np.arange(3.0)), np.arange(3.0) * 2)


def test_explicit_numpy_backend():
    x = T.dvector("x")
    f = function([x], x + 1, backend="numpy")
    assert f.backend == "numpy" and f.c_source is None
    assert f.fallback_reason is None  # asked for, not fallen back to
    assert function([x], x + 1, backend="c").fallback_reason is None


def test_c_source_is_one_module_per_function():
    x, y = T.dmatrix("x"), T.dvector("y")
    f = function([x, y], [T.exp(x).sum(axis=1) + T.dot(x, y), x.T], backend="c")
    assert f.backend == "c"
    assert f.c_source.count("int gl_run(") == 1
