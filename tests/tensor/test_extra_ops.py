"""Theano's extra ops beyond what the op table checks: cumprod's gradient at zeros, errors, pp, and
that functions using them (and their gradients) compile to C."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel.tensor as T
from graphlab_kernel import function, grad, pp
from gradcheck import check_grad

BACKENDS = ["numpy", "c"]


def _cumprod_jacobian(x: np.ndarray) -> np.ndarray:
    """d cumprod(x)[j] / d x[i], from its definition: the product of x[k], k <= j, k != i."""
    n = len(x)
    jac = np.zeros((n, n))
    for j in range(n):
        for i in range(j + 1):
            jac[j, i] = np.prod(np.delete(x[:j + 1], i))
    return jac


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("values", [[2.0, 0.0, 3.0, 0.5, 4.0], [0.0, 1.5, 2.0, 0.0, 3.0],
                                    [1.5, -2.0, 0.5, 3.0, 0.0], [0.0, 0.0, 2.0, 1.0, 5.0],
                                    [1.5, -0.5, 2.0, 3.0, 0.7]])
def test_cumprod_gradient_is_exact_where_the_input_has_zeros(backend, values):
    x, w = T.dvector("x"), T.dvector("w")
    g = grad(T.sum(T.cumprod(x) * w), x)
    f = function([x, w], g, backend=backend)
    assert f.backend == backend and f.fallback_reason is None
    a = np.array(values)
    weights = np.array([0.3, -1.2, 0.8, 2.0, -0.4])
    got = f(a, weights)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, weights @ _cumprod_jacobian(a), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_cumprod_gradient_at_zeros_matches_finite_differences_along_any_axis(backend):
    x = T.dtensor3("x")
    rng = np.random.default_rng(7)
    a = rng.uniform(-2, 2, size=(3, 4, 5))
    a[0, 1, 2] = a[1, 0, 0] = a[1, 3, 4] = a[2, 2, 1] = a[2, 2, 3] = 0.0
    for axis in (0, 1, 2, None):
        cost = T.sum(T.cumprod(x, axis=axis) * rng.standard_normal(a.size if axis is None
                                                                    else a.shape))
        check_grad([x], cost, [a], [0], rng, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_cumulative_gradients_compile_to_c_and_keep_float32(backend):
    x = T.fmatrix("x")
    cost = T.sum(T.cumsum(x, axis=1) * T.cumprod(x, axis=0))
    g = grad(cost, x)
    assert g.dtype == "float32"
    f = function([x], g, backend=backend)
    assert f.backend == backend and f.fallback_reason is None
    a = np.random.default_rng(1).uniform(-1, 1, (3, 4)).astype("float32")
    f64 = function([x], g, backend="numpy")
    np.testing.assert_allclose(f(a), f64(a), rtol=1e-5, atol=1e-6)


def test_cumulative_axis_errors_name_the_function_and_the_input():
    m = T.dmatrix("m")
    with pytest.raises(ValueError, match=r"cumsum: axis 2 is out of range for m .*2 dimension"):
        T.cumsum(m, axis=2)
    with pytest.raises(ValueError, match=r"cumprod: axis -3 is out of range"):
        T.cumprod(m, axis=-3)
    with pytest.raises(TypeError, match=r"the axis of cumsum must be an int or None; got 1.5"):
        T.cumsum(m, axis=1.5)
    with pytest.raises(ValueError, match=r"cumsum: axis 0 is out of range for the scalar"):
        T.cumsum(T.dscalar("s"), axis=0)


def test_cumulative_pp_and_types():
    m = T.imatrix("m")
    assert pp(T.cumsum(m, axis=1)) == "cumsum(m, axis=1)"
    assert pp(T.cumprod(T.dvector("v"))) == "cumprod(v, axis=0)"
    assert T.cumsum(m, axis=-1).dtype == "int64"
    assert T.cumsum(T.bvector("b")).dtype == "int64"
    assert T.cumprod(T.vector("u", dtype="uint16")).dtype == "uint64"
    assert T.cumsum(T.frow("r"), axis=1).broadcastable == (True, False)
