"""graphlab_kernel.config.floatX, as Theano's: the dtype of T.matrix() and friends, and of
T.zeros, T.ones and T.eye, when no dtype is given."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import graphlab_kernel as G
import graphlab_kernel.tensor as T


@pytest.fixture
def float32():
    before = G.config.floatX
    G.config.floatX = "float32"
    yield
    G.config.floatX = before


def _run(code: str, floatx: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "GRAPHLAB_FLOATX"}
    if floatx is not None:
        env["GRAPHLAB_FLOATX"] = floatx
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          cwd=os.path.dirname(os.path.dirname(__file__)), check=False)


def test_float64_unless_the_environment_sets_it():
    code = ("import graphlab_kernel.tensor as T; "
            "print(T.matrix().dtype, T.tensor().dtype, T.zeros(3).dtype)")
    assert _run(code, None).stdout.split() == ["float64"] * 3
    assert _run(code, "float32").stdout.split() == ["float32"] * 3
    bad = _run(code, "double")
    assert bad.returncode != 0
    assert "GRAPHLAB_FLOATX must be one of float16, float32, float64; got 'double'" in bad.stderr


def test_floatx_sets_the_default_dtype_of_variables_and_constructors(float32):
    x, v = T.matrix("x"), T.vector("v")
    assert x.type == T.fmatrix and v.type == T.fvector
    assert T.scalar().dtype == T.tensor3().dtype == T.tensor(broadcastable=(False,)).dtype \
        == "float32"
    assert T.zeros((2, 2)).dtype == T.ones(2).dtype == T.eye(2).dtype == "float32"
    assert T.dmatrix().dtype == T.matrix(dtype="float64").dtype == "float64"  # asked for
    assert [m.type for m in T.matrices("a", "b")] == [T.fmatrix, T.fmatrix]
    f = G.function([x, v], T.dot(x, v) + 0.5)
    out = f(np.ones((2, 3), np.float32), np.arange(3, dtype=np.float32))
    assert out.dtype == np.float32 and f.backend == "c"
    np.testing.assert_array_equal(out, [3.5, 3.5])


def test_bad_values_are_refused():
    before = G.config.floatX
    with pytest.raises(ValueError, match="config.floatX must be one of float16, float32, "
                                         "float64; got 'int32'"):
        G.config.floatX = "int32"
    assert G.config.floatX == before
