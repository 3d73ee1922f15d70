"""The gradient of scan (backpropagation through time, a backward Scan) against finite
differences and closed forms, on both backends."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel as theano
import graphlab_kernel.tensor as T
from graphlab_kernel import function, grad, shared
from gradcheck import check_grad
from tests.scan_module.loops import BACKENDS, compile_on, loops_in

rng = np.random.default_rng(7)


def _weights(*shape):
    return rng.standard_normal(shape)


def _rnn(W, X, h0):
    h, _ = theano.scan(lambda x_t, h_prev, W: T.tanh(T.dot(W, h_prev) + x_t), sequences=X,
                       outputs_info=h0, non_sequences=W)
    return h


@pytest.mark.parametrize("backend", BACKENDS)
def test_rnn_gradient_wrt_weights_inputs_and_initial_state(backend):
    W, X, h0 = T.dmatrix("W"), T.dmatrix("X"), T.dvector("h0")
    cost = T.sum(_rnn(W, X, h0) * _weights(6, 4))
    values = [_weights(4, 4) * 0.5, _weights(6, 4), _weights(4)]
    check_grad([W, X, h0], cost, values, [0, 1, 2], rng, backend=backend)
    gW, gX, gh0 = grad(cost, [W, X, h0])
    f = compile_on(backend, [W, X, h0], [gW, gX, gh0])
    assert [g.shape for g in f(*values)] == [(4, 4), (6, 4), (4,)]
    assert any(op.name == "grad_of_scan_fn" for op in loops_in(f))


def _linear_recurrence(a, x, h0, **kwargs):
    h, _ = theano.scan(lambda v, prev, a: a * prev + v, sequences=x, outputs_info=h0,
                       non_sequences=a, **kwargs)
    return h


@pytest.mark.parametrize("backend", BACKENDS)
def test_gradient_matches_the_closed_form(backend):
    # h_t = a h_{t-1} + x_t, cost h_{n-1}: d/dx_t = a^(n-1-t), d/dh0 = a^n,
    # d/da = sum_t a^(n-1-t) h_{t-1}
    a, h0 = T.dscalars("a", "h0")
    x = T.dvector("x")
    h = _linear_recurrence(a, x, h0)
    f = compile_on(backend, [a, x, h0], grad(h[-1], [a, x, h0]))
    av, xv, h0v = 0.9, _weights(5), 0.3
    ga, gx, gh0 = f(av, xv, h0v)
    hs = [h0v]
    for v in xv:
        hs.append(av * hs[-1] + v)
    np.testing.assert_allclose(gx, av ** np.arange(4, -1, -1), rtol=1e-12)
    np.testing.assert_allclose(gh0, av ** 5, rtol=1e-12)
    np.testing.assert_allclose(ga, sum(av ** (4 - t) * hs[t] for t in range(5)), rtol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_truncated_gradient(backend):
    a, h0 = T.dscalars("a", "h0")
    x = T.dvector("x")
    av, xv, h0v = 0.9, _weights(5), 0.3
    for k, reached in ((2, 2), (5, 5), (9, 5), (0, 0)):
        h = _linear_recurrence(a, x, h0, truncate_gradient=k)
        gx, gh0 = compile_on(backend, [a, x, h0], grad(h[-1], [x, h0]))(av, xv, h0v)
        expected = np.where(np.arange(5) >= 5 - reached, av ** np.arange(4, -1, -1), 0.0)
        np.testing.assert_allclose(gx, expected, rtol=1e-12, err_msg=f"truncate_gradient={k}")
        np.testing.assert_allclose(gh0, av ** 5 if reached == 5 else 0.0, rtol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_gradient_with_several_output_taps(backend):
    start = T.dvector("start")
    c = T.dscalar("c")
    y, _ = theano.scan(lambda older, old, c: c * older + T.sin(old),
                       outputs_info={"initial": start, "taps": [-2, -1]}, non_sequences=c,
                       n_steps=6)
    cost = T.sum(y * _weights(6))
    check_grad([start, c], cost, [_weights(2), np.float64(0.7)], [0, 1], rng, backend=backend)
    # an initial value longer than the taps need: its other rows get no gradient
    g = compile_on(backend, [start, c], grad(cost, start))(_weights(3), 0.7)
    assert g[2] == 0.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_gradient_with_sequence_taps_forwards_and_backwards(backend):
    x, w = T.dvectors("x", "w")
    for go_backwards in (False, True):
        out, _ = theano.scan(lambda before, now, after, w_t: before * now - T.exp(after) * w_t,
                             sequences=[{"input": x, "taps": [-1, 0, 1]}, w],
                             go_backwards=go_backwards)
        cost = T.sum(out * _weights(5))
        check_grad([x, w], cost, [_weights(7), _weights(6)], [0, 1], rng, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_gradient_of_several_outputs_some_not_fed_back(backend):
    x = T.dvector("x")
    s0 = T.dscalar("s0")
    (running, scaled), _ = theano.scan(lambda v, acc: [acc * T.cos(v) + v, acc * v],
                                       sequences=x, outputs_info=[s0, None])
    cost = T.sum(running * _weights(4)) + T.sum(scaled ** 2)
    check_grad([x, s0], cost, [_weights(4), np.float64(0.4)], [0, 1], rng, backend=backend)
    only_scaled = T.sum(scaled * _weights(4))  # the other output's gradient is zero
    check_grad([x, s0], only_scaled, [_weights(4), np.float64(0.4)], [0, 1], rng,
               backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_gradient_through_an_integer_state(backend):
    # a counter fed back has no gradient; the float output computed from it does
    x = T.dvector("x")
    (count, out), _ = theano.scan(lambda v, k: [k + 1, v * T.cast(k, "float64")], sequences=x,
                                  outputs_info=[np.int64(0), None])
    counted, g = compile_on(backend, [x], [count, grad(T.sum(out), x)])(np.ones(4))
    assert counted.tolist() == [1, 2, 3, 4] and g.tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("backend", BACKENDS)
def test_gradient_wrt_a_shared_variable_used_inside(backend):
    W = shared(_weights(3, 3) * 0.5, name="W")
    x = T.dmatrix("x")
    h, _ = theano.scan(lambda row, prev: T.tanh(T.dot(W, prev) + row), sequences=x,
                       outputs_info=T.zeros_like(x[0]))
    weights = _weights(4, 3)
    cost = T.sum(h * weights)
    f_cost = function([x], cost, backend=backend)
    f_grad = compile_on(backend, [x], grad(cost, W))
    xv = _weights(4, 3)
    analytic = f_grad(xv)
    direction = _weights(3, 3)
    base, eps = W.get_value(), 1e-6
    W.set_value(base + eps * direction)
    plus = f_cost(xv)
    W.set_value(base - eps * direction)
    minus = f_cost(xv)
    W.set_value(base)
    np.testing.assert_allclose(np.sum(analytic * direction), (plus - minus) / (2 * eps),
                               rtol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_gradient_when_n_steps_is_shorter_than_the_sequence(backend):
    x = T.dvector("x")
    out, _ = theano.scan(lambda v: v ** 2, sequences=x, n_steps=3)
    g = compile_on(backend, [x], grad(T.sum(out), x))(np.arange(5.0))
    assert g.tolist() == [0, 2, 4, 0, 0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_gradient_of_a_non_sequence_sums_over_steps(backend):
    x = T.dvector("x")
    W = T.dmatrix("W")
    out, _ = theano.scan(lambda v, W: T.dot(W, W) * v, sequences=x, non_sequences=W)
    cost = T.sum(out * _weights(3, 2, 2))
    check_grad([x, W], cost, [_weights(3), _weights(2, 2)], [0, 1], rng, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_second_derivative_through_a_loop(backend):
    # the backward loop is itself differentiable: a Hessian-vector product of a loop's cost
    a, x = T.dvector("a"), T.dvector("x")
    h, _ = theano.scan(lambda prev, a: prev * T.sin(a) + a, outputs_info=x, non_sequences=a,
                       n_steps=4)
    first = grad(T.sum(h[-1] * _weights(3)), a)
    second_cost = T.sum(first * _weights(3))
    check_grad([a, x], second_cost, [_weights(3), _weights(3)], [0, 1], rng, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_gradient_of_a_nested_loop(backend):
    m = T.dmatrix("m")
    c = T.dscalar("c")

    def row_product(row, c):
        prod, _ = theano.scan(lambda v, acc, c: acc * (v + c), sequences=row,
                              outputs_info=np.float64(1), non_sequences=c)
        return prod[-1]

    out, _ = theano.scan(row_product, sequences=m, non_sequences=c)
    cost = T.sum(out * _weights(3))
    check_grad([m, c], cost, [_weights(3, 4), np.float64(0.3)], [0, 1], rng, backend=backend)
