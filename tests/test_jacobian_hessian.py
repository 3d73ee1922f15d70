"""jacobian and hessian (Theano's T.jacobian, T.hessian): a scan over the rows of an expression,
against closed forms, on both backends."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel.gradient
import graphlab_kernel.tensor as T
from graphlab_kernel.gradient import DisconnectedInputError, hessian, jacobian
from tests.scan_module.loops import BACKENDS, compile_on

rng = np.random.default_rng(3)


def test_the_names_theano_users_write():
    assert T.jacobian is graphlab_kernel.gradient.jacobian is jacobian
    assert T.hessian is graphlab_kernel.gradient.hessian is hessian


@pytest.mark.parametrize("backend", BACKENDS)
def test_jacobian_of_elementwise_square(backend):
    x = T.dvector("x")
    J = jacobian(x ** 2, x)
    f = compile_on(backend, [x], J)
    np.testing.assert_allclose(f(np.array([4.0, 4.0])), [[8, 0], [0, 8]])
    values = rng.standard_normal(5)
    np.testing.assert_allclose(f(values), np.diag(2 * values), rtol=1e-12)
    assert f(values[:0]).shape == (0, 0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_jacobian_of_a_matrix_vector_expression(backend):
    A, x = T.dmatrix("A"), T.dvector("x")
    y = T.tanh(T.dot(A, x))
    dA, dx = jacobian(y, [A, x])
    f = compile_on(backend, [A, x], [dA, dx])
    a, xv = rng.standard_normal((3, 4)), rng.standard_normal(4)
    got_dA, got_dx = f(a, xv)
    slope = 1 - np.tanh(a @ xv) ** 2
    np.testing.assert_allclose(got_dx, slope[:, None] * a, rtol=1e-12)
    expected_dA = np.zeros((3, 3, 4))
    for i in range(3):
        expected_dA[i, i] = slope[i] * xv
    np.testing.assert_allclose(got_dA, expected_dA, rtol=1e-12, atol=1e-15)
    linear = compile_on(backend, [A, x], jacobian(T.dot(A, x), x))
    np.testing.assert_allclose(linear(a, xv), a)


@pytest.mark.parametrize("backend", BACKENDS)
def test_hessian_of_a_quadratic_form(backend):
    A, x = T.dmatrix("A"), T.dvector("x")
    H = hessian(T.dot(x, T.dot(A, x)), x)
    f = compile_on(backend, [A, x], H)
    a = rng.standard_normal((4, 4))
    np.testing.assert_allclose(f(a, rng.standard_normal(4)), a + a.T, rtol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_hessian_of_several_vectors(backend):
    x, y = T.dvectors("x", "y")
    cost = T.sum(x ** 3) * T.sum(y)
    hx, hy = hessian(cost, [x, y])
    f = compile_on(backend, [x, y], [hx, hy])
    xv, yv = rng.standard_normal(3), rng.standard_normal(2)
    got_x, got_y = f(xv, yv)
    np.testing.assert_allclose(got_x, np.diag(6 * xv * yv.sum()), rtol=1e-12)
    np.testing.assert_allclose(got_y, np.zeros((2, 2)))  # linear in y


def test_jacobian_of_a_scalar_is_its_gradient():
    x = T.dvector("x")
    g = jacobian(T.sum(x ** 2), x)
    assert g.ndim == 1
    np.testing.assert_allclose(g.eval({x: np.array([1.0, 2.0])}), [2, 4])


def test_bad_arguments_are_refused_by_name():
    m, x = T.dmatrix("m"), T.dvector("x")
    with pytest.raises(TypeError, match=r"jacobian: expression must be a vector \(or a scalar\); "
                                        r"m is TensorType\(float64, matrix\)"):
        jacobian(m, x)
    with pytest.raises(TypeError, match="jacobian: expression must be a tensor variable"):
        jacobian([x], x)
    with pytest.raises(TypeError, match=r"hessian: wrt\[0\] must be a vector; got m"):
        hessian(T.sum(m), m)
    y = T.dvector("y")
    with pytest.raises(DisconnectedInputError, match="does not depend on"):
        jacobian(x * 2, y)
    zeros = jacobian(x * 2, [x, y], disconnected_inputs="ignore")[1]
    assert zeros.eval({x: np.ones(2), y: np.ones(3)}).shape == (2, 3)
