"""scan with `until`: a while loop that stops after the step where its condition holds; values
against Python loops, gradients against finite differences, on both backends."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel as theano
import graphlab_kernel.tensor as T
from graphlab_kernel import function, shared
from graphlab_kernel.scan_module import Scan, until

BACKENDS = ["c", "numpy"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_theanos_powers_of_two_stop_past_the_maximum(backend):
    max_value = T.dscalar("max_value")
    values, _ = theano.scan(lambda p, m: (p * 2, until(p * 2 > m)), outputs_info=T.constant(1.0),
                            non_sequences=max_value, n_steps=1024)
    f = function([max_value], values, backend=backend)
    np.testing.assert_array_equal(f(45), [2.0, 4.0, 8.0, 16.0, 32.0, 64.0])
    np.testing.assert_array_equal(f(1), [2.0])  # holds at the first step: one step
    never = f(np.inf)  # never holds: every step (the last values overflow to inf)
    assert len(never) == 1024 and never[9] == 1024.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_over_sequences_with_a_last_value_and_a_mapped_output(backend):
    x = T.dvector("x")
    (totals, doubled), _ = theano.scan(
        lambda v, acc: ([acc + v, 2 * v], until(acc + v > 5)),
        sequences=x, outputs_info=[np.float64(0), None])
    last, _ = theano.reduce(lambda v, acc: (acc + v, until(acc + v > 5)), x, np.float64(0))
    f = function([x], [totals, doubled, last], backend=backend)
    t, d, lst = f(np.arange(10.0))
    np.testing.assert_array_equal(t, [0.0, 1.0, 3.0, 6.0])
    np.testing.assert_array_equal(d, [0.0, 2.0, 4.0, 6.0])
    assert lst == 6.0
    t, d, lst = f(np.array([1.0, 1.0]))  # the sequence ends first
    np.testing.assert_array_equal(t, [1.0, 2.0])
    assert lst == 2.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_gradients_through_the_steps_taken(backend):
    x, a = T.dvector("x"), T.dscalar("a")
    s, _ = theano.scan(lambda v, acc, a: (a * acc + v, until(acc > 5)), sequences=x,
                       outputs_info=np.float64(0), non_sequences=a)
    cost = (s ** 2).sum()
    f = function([x, a], cost, backend=backend)
    g = function([x, a], T.grad(cost, [x, a]), backend=backend)
    xv, av, eps = np.arange(10.0) * 0.7, 1.5, 1e-6
    gx, ga = g(xv, av)
    numeric = [(f(xv + eps * e, av) - f(xv - eps * e, av)) / (2 * eps) for e in np.eye(10)]
    np.testing.assert_allclose(gx, numeric, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ga, (f(xv, av + eps) - f(xv, av - eps)) / (2 * eps), rtol=1e-6)
    assert gx[-1] == 0.0  # a row the loop never read


def test_an_update_stops_with_the_loop():
    count = shared(0, name="count")
    limit = T.lscalar("limit")
    steps, updates = theano.scan(lambda lim: ([count + 1], {count: count + 1},
                                              until(count + 1 >= lim)),
                                 non_sequences=limit, n_steps=100)
    f = function([limit], steps, updates=updates)
    np.testing.assert_array_equal(f(3), [1, 2, 3])
    assert count.get_value() == 3


def test_printing_equality_and_errors():
    m = T.dscalar("m")
    build = lambda: theano.scan(lambda p: (p * 2, until(p > m)),  # noqa: E731
                                outputs_info=T.constant(1.0), n_steps=10)[0]
    a, b = build(), build()
    assert isinstance(a.owner.op, Scan) and a.owner.op.until and a.owner.op == b.owner.op
    plain = theano.scan(lambda p: p * 2, outputs_info=T.constant(1.0), n_steps=10)[0]
    assert plain.owner.op != a.owner.op
    assert "until((out0[t-1] > m))" in theano.pp(a) and str(a.owner.op) == "Scan{scan_fn, until}"
    with pytest.raises(TypeError, match="until needs a scalar condition"):
        until(T.dvector("v") > 0)
    with pytest.raises(ValueError, match="scan needs sequences or n_steps"):  # the most steps
        theano.scan(lambda p: (p * 2, until(p > 3)), outputs_info=T.constant(1.0))
