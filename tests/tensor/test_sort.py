"""T.sort and T.argsort on both backends against NumPy's stable sort: ties, NaN, infinities and
signed zeros, long lanes (many merge passes), any axis and layout; sort's gradient; errors."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel.tensor as T
from graphlab_kernel import function, grad, pp
from graphlab_kernel.tensor.sort import Permute
from gradcheck import check_grad

BACKENDS = ["numpy", "c"]


def _special_values(rng, n: int, dtype: str = "float64") -> np.ndarray:
    pool = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 2.5, np.nan])
    return rng.choice(pool, size=n).astype(dtype)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_nan_sorts_last_and_ties_keep_their_order(backend, dtype):
    x = T.vector("x", dtype=dtype)
    f = function([x], [T.sort(x), T.argsort(x)], backend=backend)
    assert f.backend == backend and f.fallback_reason is None
    rng = np.random.default_rng(0)
    for n in (0, 1, 2, 15, 16, 17, 33, 200, 1000):
        a = _special_values(rng, n, dtype)
        values, order = f(a)
        np.testing.assert_array_equal(order, np.argsort(a, kind="stable"))
        expected = np.sort(a, kind="stable")
        np.testing.assert_array_equal(values, expected)
        # -0.0 and 0.0 are equal, so a stable sort leaves them in their input order
        np.testing.assert_array_equal(np.signbit(values), np.signbit(expected))


@pytest.mark.parametrize("backend", BACKENDS)
def test_any_axis_and_layout_of_a_long_tensor(backend):
    x = T.ltensor3("x")
    outs = [T.argsort(x, axis=a) for a in (0, 1, 2, None)] + [T.sort(x, axis=1)]
    f = function([x], outs, backend=backend)
    rng = np.random.default_rng(1)
    base = rng.integers(-3, 3, size=(40, 70, 6))
    for a in (base, base[::-1, ::2, ::-3], np.transpose(base, (2, 0, 1)).copy().transpose(1, 2, 0)):
        got = f(a)
        for axis, g in zip((0, 1, 2, None), got):
            np.testing.assert_array_equal(g, np.argsort(a, axis=axis, kind="stable"))
        np.testing.assert_array_equal(got[-1], np.sort(a, axis=1))


@pytest.mark.parametrize("backend", BACKENDS)
def test_sort_gradient_goes_back_where_each_value_came_from(backend):
    x = T.dmatrix("x")
    rng = np.random.default_rng(2)
    a = rng.standard_normal((4, 30))
    weights = rng.standard_normal((4, 30))
    g = grad(T.sum(T.sort(x, axis=1) * weights), x)
    f = function([x], g, backend=backend)
    assert f.backend == backend and f.fallback_reason is None
    expected = np.empty_like(a)
    np.put_along_axis(expected, np.argsort(a, axis=1), weights, axis=1)
    np.testing.assert_array_equal(f(a), expected)
    for axis in (0, 1, None):
        cost = T.sum(T.sort(x, axis=axis) ** 3 * rng.standard_normal(a.size if axis is None
                                                                       else a.shape))
        check_grad([x], cost, [a], [0], rng, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_permute_refuses_indices_that_are_not_a_permutation(backend):
    x, p = T.dmatrix("x"), T.lmatrix("p")
    f = function([x, p], Permute(1)(x, p), backend=backend)
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(f(a, np.array([[2, 0, 1], [0, 1, 2]])), [[2, 0, 1], [3, 4, 5]])
    for bad in ([[0, 0, 1], [0, 1, 2]], [[0, 1, 2], [3, 1, 2]], [[0, 1, 2], [-1, 0, 1]]):
        with pytest.raises(ValueError, match=r"Permute\{axis=1\}: some lane of the indices "
                                             r"\(shape \(2, 3\)\) is not a permutation of 0 .. 2"):
            f(a, np.array(bad))
    with pytest.raises(ValueError, match=r"x has shape \(2, 3\) but the permutation has shape "
                                         r"\(2, 2\)"):
        f(a, np.array([[0, 1], [1, 0]]))


def test_errors_and_pp():
    m = T.dmatrix("m")
    assert pp(T.sort(m)) == "sort(m, axis=1)"
    assert pp(T.argsort(m, axis=0)) == "argsort(m, axis=0)"
    assert T.argsort(T.frow("r")).type == T.lrow
    assert T.sort(T.bvector("b")).dtype == "int8"
    for kind in ("quicksort", "mergesort", "heapsort", "stable"):
        assert T.argsort(m, kind=kind).owner.op == T.argsort(m).owner.op
    with pytest.raises(ValueError, match="sort: kind must be one of"):
        T.sort(m, kind="bubble")
    with pytest.raises(ValueError, match="argsort: order= sorts structured arrays"):
        T.argsort(m, order="f")
    with pytest.raises(ValueError, match=r"argsort: axis 2 is out of range for m"):
        T.argsort(m, axis=2)
    with pytest.raises(ValueError, match=r"sort: axis -1 is out of range for the scalar"):
        T.sort(T.dscalar("s"))
    with pytest.raises(TypeError, match="sorting complex values"):
        T.sort(T.zvector("z"))
    assert pp(T.sort(T.dscalar("s"), axis=None)) == "sort(reshape(s, TensorConstant{[-1]}), axis=0)"
