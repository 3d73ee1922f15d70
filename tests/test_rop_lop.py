"""Rop (Jacobian-vector products) and Lop (vector-Jacobian products) against finite differences,
on both backends, and their errors."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel as G
import graphlab_kernel.tensor as T
from graphlab_kernel.gradient import DisconnectedInputError

BACKENDS = ["c", "numpy"]
EPS = 1e-6


def _directional(fn, point: list, direction: list):
    """(fn(point + eps d) - fn(point - eps d)) / 2 eps: the derivative of fn along d."""
    hi = [p + EPS * d for p, d in zip(point, direction)]
    lo = [p - EPS * d for p, d in zip(point, direction)]
    return (np.asarray(fn(*hi)) - np.asarray(fn(*lo))) / (2 * EPS)


@pytest.mark.parametrize("backend", BACKENDS)
def test_rop_of_a_layer_is_its_directional_derivative(backend):
    W, V, x = T.dmatrix("W"), T.dmatrix("V"), T.dvector("x")
    y = T.tanh(T.dot(W, x))
    f = G.function([W, V, x], T.Rop(y, W, V), backend=backend)
    assert f.backend == backend
    forward = G.function([W, x], y, backend=backend)
    rng = np.random.default_rng(0)
    Wv, Vv, xv = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.normal(size=4)
    got = f(Wv, Vv, xv)
    np.testing.assert_allclose(got, (1 - np.tanh(Wv @ xv) ** 2) * (Vv @ xv), rtol=1e-12)
    np.testing.assert_allclose(got, _directional(lambda w: forward(w, xv), [Wv], [Vv]),
                               rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("backend", BACKENDS)
def test_rop_sums_over_several_wrt_and_maps_over_several_f(backend):
    x, W = T.dmatrix("x"), T.dmatrix("W")
    vx, vW = T.dmatrix("vx"), T.dmatrix("vW")
    p = T.nnet.softmax(T.dot(x, W))
    q = (T.dot(x, W) ** 2).sum(axis=1)
    jp, jq = T.Rop([p, q], [x, W], [vx, vW])
    f = G.function([x, W, vx, vW], [jp, jq], backend=backend)
    forward = G.function([x, W], [p, q], backend=backend)
    rng = np.random.default_rng(1)
    point = [rng.normal(size=(5, 3)), rng.normal(size=(3, 4))]
    direction = [rng.normal(size=(5, 3)), rng.normal(size=(3, 4))]
    got_p, got_q = f(*point, *direction)
    np.testing.assert_allclose(got_p, _directional(lambda a, b: forward(a, b)[0], point,
                                                   direction), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(got_q, _directional(lambda a, b: forward(a, b)[1], point,
                                                   direction), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("backend", BACKENDS)
def test_lop_is_the_gradient_of_the_weighted_sum(backend):
    x, v = T.dvector("x"), T.dmatrix("v")
    W = T.dmatrix("W")
    y = T.exp(T.outer(x, x) * W)
    f = G.function([x, W, v], T.Lop(y, [x, W], v), backend=backend)
    weighted = G.function([x, W, v], (y * v).sum(), backend=backend)
    rng = np.random.default_rng(2)
    xv, Wv, vv = rng.normal(size=3), rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    gx, gW = f(xv, Wv, vv)
    np.testing.assert_allclose(gW, vv * np.outer(xv, xv) * np.exp(np.outer(xv, xv) * Wv),
                               rtol=1e-12)
    for k in range(3):
        e = np.zeros(3)
        e[k] = 1.0
        numeric = _directional(lambda a: weighted(a, Wv, vv), [xv], [e])
        np.testing.assert_allclose(gx[k], numeric, rtol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_hessian_vector_product_through_rop_of_the_gradient(backend):
    x, v = T.dvector("x"), T.dvector("v")
    cost = (x ** 3).sum() + T.dot(x, x) * x[0]
    hv = T.Rop(T.grad(cost, x), x, v)
    f = G.function([x, v], hv, backend=backend)
    rng = np.random.default_rng(3)
    xv, vv = rng.normal(size=4), rng.normal(size=4)
    H = np.diag(6 * xv) + 2 * xv[0] * np.eye(4)
    H[0, :] += 2 * xv
    H[:, 0] += 2 * xv
    np.testing.assert_allclose(f(xv, vv), H @ vv, rtol=1e-12)


def test_errors_name_the_argument():
    x, y, k = T.dvector("x"), T.dvector("y"), T.lvector("k")
    with pytest.raises(DisconnectedInputError, match="does not depend on any of wrt"):
        T.Rop(T.exp(y), x, x)
    with pytest.raises(ValueError, match="eval_points has 1 value.*for 2 wrt"):
        T.Rop(T.exp(x + y), [x, y], [x])
    with pytest.raises(TypeError, match="eval_points for f .*must have its 1 dimension"):
        T.Lop(T.exp(x), x, T.dmatrix("m"))
    with pytest.raises(TypeError, match="f .*discrete dtype int64"):
        T.Lop(k * 2, x, k)
    with pytest.raises(TypeError, match="wrt must be a tensor variable"):
        T.Rop(T.exp(x), "x", x)
