"""The extra ops in C on empty arrays, odd layouts (broadcast, Fortran, reversed, unaligned) and
malformed counts: the NumPy backend's values or its errors, never a crash."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel.tensor as T
from graphlab_kernel import function


@pytest.fixture(scope="module")
def both():
    x, r, k, q = T.dmatrix("x"), T.lvector("r"), T.lscalar("k"), T.bvector("q")
    outs = [T.cumsum(x, axis=0), T.cumprod(x, axis=1), T.cumsum(x), T.sort(x, axis=0),
            T.argsort(x), T.argsort(x, axis=None), T.diagonal(x, 1), T.diag(T.diagonal(x)),
            T.trace(x), T.tile(x, (k, 2)), T.repeat(x, k, axis=0), T.roll(x, k, axis=1),
            T.roll(x, k), T.flatnonzero(x), T.nonzero(x, return_matrix=True),
            T.squeeze(T.addbroadcast(x[:1], 0)), T.psi(x), T.gammaln(x), T.isclose(x, x.T.T)]
    splits = T.split(x, r, 2, axis=1)
    outs += list(splits) + [T.repeat(x, q, axis=1)]
    return (function([x, r, k, q], outs, backend="c"),
            function([x, r, k, q], outs, backend="numpy"))


def _layouts(n: int, m: int) -> list[np.ndarray]:
    base = np.random.default_rng(0).integers(-2, 3, size=(2 * n + 1, 2 * m + 1)).astype(float)
    unaligned = np.frombuffer(bytearray(8 * n * m + 1), dtype=np.float64, offset=1,
                              count=n * m).reshape(n, m)
    return [base[:n, :m].copy(), base[::-2, ::-2][:n, :m], np.asfortranarray(base[:n, :m]),
            np.broadcast_to(base[0, :m], (n, m)), unaligned]


@pytest.mark.parametrize("shape", [(3, 4), (1, 5), (4, 1), (0, 3), (3, 0), (0, 0)])
def test_every_layout_and_empty_shape_gives_numpys_values(both, shape):
    f_c, f_np = both
    assert f_c.backend == "c", f_c.fallback_reason
    n, m = shape
    counts = np.array([m // 2, m - m // 2])
    for a in _layouts(n, m):
        if shape[0] < 1:  # x[:1] has no row to make broadcastable: both refuse it
            with pytest.raises(ValueError, match="must have length 1 to be broadcastable"):
                f_c(a, counts, 2, [3])
            continue
        for got, expected in zip(f_c(a, counts, 2, [3]), f_np(a, counts, 2, [3])):
            assert got.shape == expected.shape and got.dtype == expected.dtype
            np.testing.assert_array_equal(got, expected)


def test_malformed_counts_raise_on_both_backends(both):
    for f in both:
        a = np.ones((2, 3))
        for r, k, match in [([1, 1], 2, r"lengths \(1, 1\) must be at least 0 and add up to 3"),
                            ([4, -1], 2, r"lengths \(4, -1\) must be at least 0 and add up"),
                            ([1, 2], -1, "negative count"),
                            ([1, 2], 2**62, "too big|more than 2\\*\\*63")]:
            with pytest.raises(ValueError, match=match):
                f(a, np.array(r), k, [1])


def test_an_empty_array_at_a_misaligned_address_is_accepted():
    """NumPy calls an empty array aligned whatever its address; the C code's alignment check
    refused it, and the caller's retry with an aligned copy passed the same array again, until
    RecursionError."""
    x = T.dmatrix("x")
    f = function([x], x * 2, backend="c")
    a = np.frombuffer(bytearray(1), dtype=np.float64, offset=1, count=0).reshape(0, 3)
    assert a.flags.aligned and a.ctypes.data % 8
    assert f(a).shape == (0, 3)
