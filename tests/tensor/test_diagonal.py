"""T.diagonal, T.diag and T.trace beyond the op table: gradients (of first and second order) on
both backends, a diagonal of a strided view, the writer's value check, errors and pp."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel.tensor as T
from graphlab_kernel import function, grad, pp
from graphlab_kernel.tensor.diagonal import IncDiagonal
from gradcheck import check_grad

BACKENDS = ["numpy", "c"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_gradients_compile_to_c_and_match_finite_differences(backend):
    x, v = T.dtensor3("x"), T.dvector("v")
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((3, 4, 5)), rng.standard_normal(4)
    cost = (T.sum(T.diagonal(x, 1, axis1=2, axis2=1) ** 2 * rng.standard_normal((3, 3)))
            + T.sum(T.trace(x[0], -1) * T.diag(v, 1)[1:, :4] * T.diag(v)) + T.sum(T.diag(x[1])))
    g = grad(cost, [x, v])
    f = function([x, v], g, backend=backend)
    assert f.backend == backend and f.fallback_reason is None
    check_grad([x, v], cost, [a, b], [0, 1], rng, backend=backend)
    # second order: the gradient of a diagonal is a write into a diagonal, and back
    second = T.sum(grad(cost, x) * rng.standard_normal(a.shape))
    check_grad([x, v], second, [a, b], [0, 1], rng, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_diagonals_of_strided_views_and_empty_ones(backend):
    x = T.dmatrix("x")
    outs = [T.diagonal(x, k) for k in (-4, -1, 0, 2, 7)] + [T.diag(T.diagonal(x)), T.trace(x)]
    f = function([x], outs, backend=backend)
    base = np.arange(60.0).reshape(6, 10)
    for a in (base, base[::-1, ::3], base.T[::2], np.zeros((0, 3)), np.zeros((4, 0))):
        got = f(a)
        for k, g in zip((-4, -1, 0, 2, 7), got):
            np.testing.assert_array_equal(g, np.diagonal(a, k))
        np.testing.assert_array_equal(got[-2], np.diag(np.diagonal(a)))
        np.testing.assert_array_equal(got[-1], np.trace(a))


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_value_that_does_not_fit_the_diagonal_is_refused(backend):
    x, y = T.dmatrix("x"), T.dvector("y")
    f = function([x, y], IncDiagonal(1)(x, y), backend=backend)
    np.testing.assert_array_equal(f(np.zeros((3, 3)), np.array([1.0, 2.0])),
                                  np.diag([1.0, 2.0], 1))
    with pytest.raises(ValueError, match=r"IncDiagonal\{offset=1, axis1=0, axis2=1\}: a value of "
                                         r"shape \(3,\) does not broadcast to the region of shape "
                                         r"\(2,\) \(input shape \(3, 3\)\)"):
        f(np.zeros((3, 3)), np.ones(3))
    s = function([x], IncDiagonal(0, set_instead_of_inc=True)(x, 5.0), backend=backend)
    np.testing.assert_array_equal(s(np.ones((2, 3))), [[5, 1, 1], [1, 5, 1]])


def test_errors_name_the_input_and_pp():
    m, v = T.dmatrix("m"), T.dvector("v")
    assert pp(T.diagonal(m)) == "diagonal(m)"
    assert pp(m.diagonal(-1)) == "diagonal(m, offset=-1)"
    assert pp(T.diagonal(T.dtensor3("t"), 0, 2, 1)) == "diagonal(t, axis1=2, axis2=1)"
    assert "set_diagonal(alloc(" in pp(T.diag(v))
    assert pp(T.trace(m)) == "sum(diagonal(m))"
    with pytest.raises(TypeError, match=r"diag needs a vector or a matrix; t is"):
        T.diag(T.dtensor3("t"))
    with pytest.raises(TypeError, match=r"diagonal needs an input of at least 2 dimensions; v"):
        T.diagonal(v)
    with pytest.raises(TypeError, match=r"trace needs an input of at least 2 dimensions"):
        T.trace(v)
    with pytest.raises(ValueError, match=r"axis1 and axis2 cannot be the same \(1\)"):
        T.diagonal(m, 0, 1, -1)
    with pytest.raises(ValueError, match=r"diagonal: axis 2 is out of range for m"):
        T.diagonal(m, 0, 0, 2)
    with pytest.raises(TypeError, match=r"the offset of diag must be an int; got 0.5"):
        T.diag(v, 0.5)
    with pytest.raises(TypeError, match=r"cannot write .* \(float64\) into .* \(int32\)"):
        IncDiagonal()(T.imatrix("i"), v)


def test_a_shared_update_reading_its_own_diagonal_is_not_computed_in_place():
    """W + diagonal(W) read in W's own array while writing it would see new diagonal values:
    the C backend must know diagonal(W) is a view of W (as it knows of W.T and W[1:])."""
    from graphlab_kernel import shared
    a = np.arange(16.0).reshape(4, 4)
    W = shared(a.copy(), name="W")
    f = function([], [], updates={W: W + T.diagonal(W)}, backend="c")
    assert f.backend == "c"
    f()
    np.testing.assert_array_equal(W.get_value(), a + np.diagonal(a))
