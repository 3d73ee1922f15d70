"""grad: reverse mode for a scalar cost, with Theano's disconnected_inputs and consider_constant."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import graphlab_kernel.tensor as T
from graphlab_kernel import Mode, function, grad, pp
from graphlab_kernel.gradient import DisconnectedInputError


def test_grad_of_square_prints_unoptimized():
    x = T.dscalar("x")
    assert pp(T.grad(x ** 2, x)) == ("((fill((x ** TensorConstant{2}), TensorConstant{1.0}) * "
                                     "TensorConstant{2}) * (x ** (TensorConstant{2} - "
                                     "TensorConstant{1})))")


def test_grad_of_a_list_returns_a_list():
    x, y = T.dscalars("x", "y")
    gx, gy = grad(x * y + x, [x, y])
    f = function([x, y], [gx, gy])
    assert [float(v) for v in f(2.0, 3.0)] == [4.0, 2.0]


def test_non_scalar_cost_is_refused():
    v = T.dvector("v")
    with pytest.raises(TypeError, match=r"cost must be a scalar to take its gradient; .* is "
                                        r"TensorType\(float64, vector\) \(sum or average it "
                                        r"first\)"):
        grad(v * 2, v)


def test_discrete_cost_and_non_variable_wrt_are_refused():
    i = T.iscalar("i")
    with pytest.raises(TypeError, match="cost .* has the discrete dtype int32"):
        grad(i * 2, i)
    x = T.dscalar("x")
    with pytest.raises(TypeError, match="wrt\\[0\\] must be a tensor variable; got str 'x'"):
        grad(x * 2, ["x"])
    with pytest.raises(TypeError, match="cost must be a tensor variable; got float 1.0"):
        grad(1.0, x)
    with pytest.raises(ValueError, match="disconnected_inputs must be 'raise', 'warn' or "
                                         "'ignore'; got 'maybe'"):
        grad(x * 2, x, disconnected_inputs="maybe")


def test_disconnected_inputs_raise_warn_ignore():
    x, y = T.dscalars("x", "y")
    cost = x * 3
    with pytest.raises(DisconnectedInputError, match=r"the cost does not depend on wrt\[1\] "
                                                     r"\(y\)"):
        grad(cost, [x, y])
    with pytest.warns(UserWarning, match=r"does not depend on wrt\[1\] \(y\)"):
        gx, gy = grad(cost, [x, y], disconnected_inputs="warn")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gx, gy = grad(cost, [x, y], disconnected_inputs="ignore")
    assert gy.type == y.type
    assert [float(v) for v in function([x, y], [gx, gy])(1.0, 2.0)] == [3.0, 0.0]


def test_input_reached_only_through_a_discrete_path_is_disconnected():
    x = T.dvector("x")
    cost = T.sum(T.cast(T.argmax(x), "float64"))
    with pytest.raises(DisconnectedInputError, match=r"the cost depends on wrt\[0\] \(x\) only "
                                                     "through operations that pass no "
                                                     r"gradient \(integer results"):
        grad(cost, x)


def test_gradient_with_respect_to_an_integer_input_is_zero_as_in_theano():
    i, v = T.ivector("i"), T.dvector("v")
    gi, gv = grad(T.sum(i * v + T.cast(i, "float64") ** 2), [i, v])
    assert gi.type == T.dvector().type  # zeros in float64, of i's shape
    f = function([i, v], [gi, gv])
    values = np.array([3, -4, 5], dtype="int32"), np.array([0.5, 1.5, -2.0])
    got_i, got_v = f(*values)
    np.testing.assert_array_equal(got_i, np.zeros(3))
    np.testing.assert_array_equal(got_v, values[0])
    # one the cost does not depend on is disconnected, integer or not
    with pytest.raises(DisconnectedInputError, match=r"does not depend on wrt\[1\] \(j\)"):
        grad(T.sum(v), [v, T.iscalar("j")])


def test_consider_constant_stops_the_gradient():
    x = T.dscalar("x")
    y = x * x
    cost = y * x  # x ** 3
    np.testing.assert_allclose(function([x], grad(cost, x))(2.0), 12.0)
    np.testing.assert_allclose(function([x], grad(cost, x, consider_constant=[y]))(2.0), 4.0)
    with pytest.raises(DisconnectedInputError):
        grad(y * 2, x, consider_constant=[y])


def test_gradient_accumulates_over_several_uses():
    x = T.dvector("x")
    cost = T.sum(x * x) + T.sum(T.exp(x)) + T.sum(x[1:])
    value = np.array([0.5, -1.0, 2.0])
    expected = 2 * value + np.exp(value) + np.array([0.0, 1.0, 1.0])
    np.testing.assert_allclose(function([x], grad(cost, x))(value), expected)


def test_gradient_has_the_type_of_its_variable():
    row = T.frow("row")
    m = T.fmatrix("m")
    g = grad(T.sum(m * row), row)
    assert g.type is T.frow
    value = function([m, row], g)(np.ones((3, 2), "float32"), np.ones((1, 2), "float32"))
    assert value.dtype == np.float32 and value.shape == (1, 2)


def test_third_derivative():
    x = T.dscalar("x")
    d3 = grad(grad(grad(T.exp(2 * x), x), x), x)
    np.testing.assert_allclose(function([x], d3)(0.3), 8 * np.exp(0.6))


def test_gradient_of_a_shared_variable():
    from graphlab_kernel import shared
    w = shared(np.array([1.0, 2.0]), name="w")
    x = T.dvector("x")
    g = grad(T.sum((w * x) ** 2), w)
    np.testing.assert_allclose(function([x], g)([3.0, 1.0]), 2 * np.array([3.0, 2.0]) * [3.0, 1.0])


@pytest.mark.parametrize("axis", [None, 0, 1])
@pytest.mark.parametrize("values", [
    [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]],   # no zero
    [[0.0, 2.0, 3.0], [4.0, 0.0, 6.0]],   # one zero per row
    [[0.0, 0.0, 3.0], [4.0, 5.0, 6.0]],   # two zeros in a row
], ids=["no-zero", "one-zero", "two-zeros"])
def test_prod_gradient_is_right_where_elements_are_zero(axis, values):
    x = T.dmatrix("x")
    a = np.array(values)
    g = function([x], T.grad(T.prod(x, axis=axis).sum(), x), backend="numpy")(a)
    numeric = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        step = np.zeros_like(a)
        step[i] = 1e-6
        numeric[i] = (np.prod(a + step, axis=axis).sum() - np.prod(a - step, axis=axis).sum()) / 2e-6
    np.testing.assert_allclose(g, numeric, atol=1e-6)


def test_floor_division_has_a_zero_gradient_as_in_theano():
    x = T.dvector("x")
    g = function([x], T.grad((x // 2).sum(), x), backend="numpy")
    np.testing.assert_array_equal(g(np.array([1.0, 3.0])), [0.0, 0.0])


@pytest.mark.parametrize("backend", ["numpy", "c"])
def test_only_broadcastable_axes_broadcast_so_gradients_keep_their_shape(backend):
    """A matrix-typed value of one row does not stretch to another's two rows (Theano's rule):
    its gradient would have to be summed over an axis the graph does not know of. A row-typed
    one does, and its gradient is summed over the rows it was stretched along."""
    a, b, r = T.dmatrix("a"), T.dmatrix("b"), T.drow("r")
    weights = np.array([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]])
    f = function([a, b], [a + b, grad(T.sum((a + b) * weights), a)], backend=backend)
    with pytest.raises(ValueError, match=r"input shapes \(1, 3\), \(2, 3\) do not broadcast"):
        f(np.ones((1, 3)), np.zeros((2, 3)))
    g = function([r, b], grad(T.sum((r + b) * weights), r), backend=backend)
    gradient = g(np.ones((1, 3)), np.zeros((2, 3)))
    assert gradient.shape == (1, 3)
    np.testing.assert_array_equal(gradient, [[11.0, 22.0, 33.0]])


@pytest.mark.parametrize("backend", ["c", "numpy"])
def test_cross_entropy_of_softmax_has_a_finite_gradient_at_extreme_logits(backend):
    """grad of -mean(sum(t * log(softmax(z)))) is (softmax(z) - t) / n even where softmax(z)
    underflows to 0: the stabilize step rewrites softmax_grad(g / sm, sm) (g / sm is inf there)
    to g - sum(g) * sm, as Theano's local_logsoftmax_grad does."""
    z, t = T.dmatrix("z"), T.dmatrix("t")
    cost = -T.mean(T.sum(t * T.log(T.nnet.softmax(z)), axis=1))
    gz = grad(cost, z)
    logits = np.array([[800.0, 0.0, -800.0], [1.0, 2.0, 3.0], [-1000.0, 1000.0, 0.0]])
    targets = np.eye(3)[[2, 0, 0]]
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected = (shifted / shifted.sum(axis=1, keepdims=True) - targets) / 3
    f = function([z, t], gz, backend=backend)
    np.testing.assert_allclose(f(logits, targets), expected, rtol=1e-12, atol=1e-300)
    # the rule is what makes it finite: without it, 0 * inf gives nan
    unstable = function([z, t], gz, backend=backend, mode=Mode(exclude=["log_softmax_grad"]))
    with np.errstate(divide="ignore", invalid="ignore"):
        assert np.isnan(unstable(logits, targets)).any()
