"""T.eye on both backends against np.eye: values for every offset (the int64 extremes included),
dtypes, lengths read from shapes, and negative lengths refused as NumPy refuses them."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import graphlab_kernel as G
import graphlab_kernel.tensor as T

BACKENDS = ["c", "numpy"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_offset_is_numpys(backend):
    n, m, k = T.lscalars("n", "m", "k")
    f = G.function([n, m, k], T.eye(n, m, k), backend=backend)
    assert f.backend == backend
    big, small = 2 ** 63 - 1, -2 ** 63
    for args in itertools.product([0, 1, 3, 5], [0, 2, 3, 7], [-6, -3, -1, 0, 1, 2, 6, big,
                                                                 small]):
        got, expected = f(*args), np.eye(*args)
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected, err_msg=str(args))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", ["bool", "int8", "uint64", "float32"])
def test_dtypes(backend, dtype):
    n = T.lscalar("n")
    f = G.function([n], T.eye(n, k=1, dtype=dtype), backend=backend)
    got = f(4)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, np.eye(4, k=1, dtype=dtype))


@pytest.mark.parametrize("backend", BACKENDS)
def test_identity_like_reads_its_lengths_from_a_shape_and_compiles_to_c(backend):
    x = T.dmatrix("x")
    f = G.function([x], T.identity_like(x) * 2.0, backend=backend)
    assert f.backend == backend and f.fallback_reason is None
    np.testing.assert_array_equal(f(np.ones((3, 5))), 2.0 * np.eye(3, 5))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("shape", [(-1, 3), (2, -3)])
def test_a_negative_length_raises_as_numpy_does(backend, shape):
    with pytest.raises(ValueError):
        np.eye(*shape)
    n, m = T.lscalars("n", "m")
    f = G.function([n, m], T.eye(n, m), backend=backend)
    with pytest.raises(ValueError, match=rf"Eye.*negative length in shape \({shape[0]}, "
                                         rf"{shape[1]}\)"):
        f(*shape)
