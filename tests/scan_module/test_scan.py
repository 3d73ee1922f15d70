"""scan's loops against the same loops written in NumPy, on both backends."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel as theano
import graphlab_kernel.tensor as T
from graphlab_kernel import function, shared
from graphlab_kernel.scan_module.builder import scan_keeping_last
from tests.scan_module.loops import BACKENDS, compile_on, loops_in
from tests.toolchain import require_compiler

rng = np.random.default_rng(20240607)


@pytest.mark.parametrize("backend", BACKENDS)
def test_cumulative_sum(backend):
    x = T.dvector("x")
    total, updates = theano.scan(lambda v, acc: acc + v, sequences=x,
                                 outputs_info=T.as_tensor_variable(np.float64(0)))
    assert updates == {}
    f = compile_on(backend, [x], total)
    values = rng.standard_normal(7)
    np.testing.assert_allclose(f(values), np.cumsum(values), rtol=1e-12)
    assert f(values[:0]).shape == (0,)


@pytest.mark.parametrize("backend", BACKENDS)
def test_cumulative_sum_of_rows(backend):
    m = T.fmatrix("m")
    total, _ = theano.scan(lambda row, acc: acc + row, sequences=m, outputs_info=T.zeros_like(m[0]))
    f = compile_on(backend, [m], total)
    values = rng.standard_normal((5, 3)).astype("float32")
    result = f(values)
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, np.cumsum(values, axis=0), rtol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_power_by_repeated_multiplication(backend):
    # the Theano tutorial's first loop, as written there
    k = T.iscalar("k")
    A = T.vector("A")
    result, updates = theano.scan(fn=lambda prior_result, A: prior_result * A,
                                  outputs_info=T.ones_like(A), non_sequences=A, n_steps=k)
    power = compile_on(backend, [A, k], result[-1], updates=updates)
    np.testing.assert_allclose(power(np.arange(10.0), 2), np.arange(10.0) ** 2)
    np.testing.assert_allclose(power(np.arange(10.0), 4), np.arange(10.0) ** 4)
    every = compile_on(backend, [A, k], result)(np.array([2.0, 3.0]), 3)
    np.testing.assert_allclose(every, [[2, 3], [4, 9], [8, 27]])


@pytest.mark.parametrize("backend", BACKENDS)
def test_polynomial_from_coefficients_with_arange(backend):
    # the tutorial's: the steps are as many as the shortest sequence gives (3, not 10000)
    coefficients = T.vector("coefficients")
    x = T.scalar("x")
    max_coefficients_supported = 10000
    components, _ = theano.scan(
        fn=lambda coefficient, power, free_variable: coefficient * (free_variable ** power),
        outputs_info=None, sequences=[coefficients, T.arange(max_coefficients_supported)],
        non_sequences=x)
    polynomial = compile_on(backend, [coefficients, x], components.sum())
    assert float(polynomial(np.array([1, 0, 2], dtype=T.config.floatX), 3)) == 19.0
    c = rng.standard_normal(6)
    np.testing.assert_allclose(polynomial(c, 0.7), np.polyval(c[::-1], 0.7), rtol=1e-12)
    # the shortest sequence need not be the first
    swapped, _ = theano.scan(fn=lambda power, coefficient, x: coefficient * x ** power,
                             sequences=[T.arange(100), coefficients], non_sequences=x)
    np.testing.assert_allclose(compile_on(backend, [coefficients, x], swapped.sum())(c, 0.7),
                               np.polyval(c[::-1], 0.7), rtol=1e-12)


def _rnn_numpy(W, X, h0):
    h, out = h0, []
    for x in X:
        h = np.tanh(W @ h + x)
        out.append(h)
    return np.array(out)


@pytest.mark.parametrize("backend", BACKENDS)
def test_rnn_recurrence(backend):
    W, X, h0 = T.dmatrix("W"), T.dmatrix("X"), T.dvector("h0")
    h, _ = theano.scan(lambda x_t, h_prev, W: T.tanh(T.dot(W, h_prev) + x_t), sequences=X,
                       outputs_info=h0, non_sequences=W)
    f = compile_on(backend, [W, X, h0], h)
    values = rng.standard_normal((4, 4)) * 0.5, rng.standard_normal((6, 4)), rng.standard_normal(4)
    np.testing.assert_allclose(f(*values), _rnn_numpy(*values), rtol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_fibonacci_with_taps(backend):
    start = T.lvector("start")
    fib, _ = theano.scan(lambda older, old: older + old,
                         outputs_info={"initial": start, "taps": [-2, -1]}, n_steps=10)
    f = compile_on(backend, [start], fib)
    result = f(np.array([1, 1]))
    assert result.dtype == np.int64
    assert result.tolist() == [2, 3, 5, 8, 13, 21, 34, 55, 89, 144]
    # taps in another order reach fn in that order; a longer initial value uses its first rows
    diff, _ = theano.scan(lambda old, older: old - older,
                          outputs_info={"initial": start, "taps": [-1, -3]}, n_steps=4)
    assert compile_on(backend, [start], diff)(np.array([1, 2, 4, 99])).tolist() == [3, 1, -3, -6]


@pytest.mark.parametrize("backend", BACKENDS)
def test_sequence_taps(backend):
    x, y = T.dvectors("x", "y")
    out, _ = theano.scan(lambda before, now, after, other: before * now - after + other,
                         sequences=[{"input": x, "taps": [-1, 0, 1]}, y])
    f = compile_on(backend, [x, y], out)
    xv, yv = rng.standard_normal(8), rng.standard_normal(7)
    # x gives 6 steps (its taps reach one row before and one after), y 7: 6 steps
    np.testing.assert_allclose(f(xv, yv), xv[:-2] * xv[1:-1] - xv[2:] + yv[:6], rtol=1e-12)
    future, _ = theano.scan(lambda a, b: a - b, sequences={"input": x, "taps": [2, 3]})
    np.testing.assert_allclose(compile_on(backend, [x], future)(xv), xv[2:-1] - xv[3:])


@pytest.mark.parametrize("backend", BACKENDS)
def test_go_backwards(backend):
    x = T.dvector("x")
    total, _ = theano.scan(lambda v, acc: acc + v, sequences=x, outputs_info=np.float64(0),
                           go_backwards=True)
    values = rng.standard_normal(6)
    f = compile_on(backend, [x], total)
    np.testing.assert_allclose(f(values), np.cumsum(values[::-1]), rtol=1e-12)
    # with taps: tap k still means x[t + k], t going down from the end
    windows, _ = theano.scan(lambda a, b, c: 100 * a + 10 * b + c,
                             sequences={"input": x, "taps": [-1, 0, 1]}, go_backwards=True)
    assert compile_on(backend, [x], windows)(np.arange(5.0)).tolist() == [234, 123, 12]
    # with n_steps: the last n_steps rows, last first
    n = T.lscalar("n")
    last, _ = theano.scan(lambda v: v * 2, sequences=x, n_steps=n, go_backwards=True)
    assert compile_on(backend, [x, n], last)(np.arange(5.0), 2).tolist() == [8, 6]


@pytest.mark.parametrize("backend", BACKENDS)
def test_n_steps_without_sequences(backend):
    x0, a = T.dscalars("x0", "a")
    n = T.iscalar("n")
    powers, _ = theano.scan(lambda prev, a: prev * a, outputs_info=x0, non_sequences=a, n_steps=n)
    f = compile_on(backend, [x0, a, n], powers)
    np.testing.assert_allclose(f(3.0, 2.0, 4), [6, 12, 24, 48])
    assert f(3.0, 2.0, 0).shape == (0,)
    # an output not fed back, with nothing to iterate over: the same value at every step
    same, _ = theano.scan(lambda a: a * 2, non_sequences=a, n_steps=3)
    assert compile_on(backend, [a], same)(1.5).tolist() == [3, 3, 3]


@pytest.mark.parametrize("backend", BACKENDS)
def test_n_steps_shorter_than_the_sequences(backend):
    x = T.dvector("x")
    doubled, _ = theano.scan(lambda v: 2 * v, sequences=x, n_steps=3)
    assert compile_on(backend, [x], doubled)(np.arange(5.0)).tolist() == [0, 2, 4]


@pytest.mark.parametrize("backend", BACKENDS)
def test_shared_variable_inside_fn(backend):
    W = shared(np.eye(2) * 2, name="W")
    x = T.dmatrix("x")
    out, updates = theano.scan(lambda row: T.dot(W, row), sequences=x)  # W not listed
    assert updates == {}
    f = compile_on(backend, [x], out)
    values = rng.standard_normal((3, 2))
    np.testing.assert_allclose(f(values), 2 * values)
    W.set_value(np.array([[0.0, 1.0], [1.0, 0.0]]))  # read at each call, as everywhere
    np.testing.assert_allclose(f(values), values[:, ::-1])
    strict, _ = theano.scan(lambda row, W: T.dot(W, row), sequences=x, non_sequences=W,
                            strict=True)
    np.testing.assert_allclose(compile_on(backend, [x], strict)(values), values[:, ::-1])


@pytest.mark.parametrize("backend", BACKENDS)
def test_updates_returned_by_fn(backend):
    count = shared(np.int64(0), name="count")
    acc = shared(10.0, name="acc")
    x = T.dvector("x")

    def step(v):
        return acc + v, {acc: acc + v, count: count + 1}

    seen, updates = theano.scan(step, sequences=x)
    assert set(updates) == {acc, count}
    f = compile_on(backend, [x], seen, updates=updates)
    # each step sees the value the previous step gave the shared variable
    np.testing.assert_allclose(f(np.array([1.0, 2.0, 3.0])), [11, 13, 16])
    assert acc.get_value() == 16.0 and count.get_value() == 3
    f(np.array([4.0]))
    assert acc.get_value() == 20.0 and count.get_value() == 4
    f(np.array([]))  # zero steps leave the values as they were
    assert acc.get_value() == 20.0 and count.get_value() == 4


@pytest.mark.parametrize("backend", BACKENDS)
def test_several_outputs(backend):
    x = T.dvector("x")
    (running, squares), _ = theano.scan(lambda v, acc: [acc + v, v ** 2], sequences=x,
                                        outputs_info=[np.float64(0), None])
    f = compile_on(backend, [x], [running, squares])
    values = rng.standard_normal(5)
    got_running, got_squares = f(values)
    np.testing.assert_allclose(got_running, np.cumsum(values), rtol=1e-12)
    np.testing.assert_allclose(got_squares, values ** 2, rtol=1e-12)
    single, _ = theano.scan(lambda v: v + 1, sequences=x, return_list=True)
    assert isinstance(single, list) and len(single) == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_outer_variables_fn_closes_over(backend):
    x, y = T.dvectors("x", "y")
    scale = T.dscalar("scale")
    twice = scale * 2  # computed outside fn and used inside without being passed
    out, _ = theano.scan(lambda v: v * twice + y.sum(), sequences=x)
    f = compile_on(backend, [x, y, scale], out)
    np.testing.assert_allclose(f(np.arange(3.0), np.ones(4), 0.5), np.arange(3.0) + 4)


@pytest.mark.parametrize("backend", BACKENDS)
def test_nested_loops(backend):
    m = T.dmatrix("m")

    def row_cumsum(row):
        total, _ = theano.scan(lambda v, acc: acc + v, sequences=row, outputs_info=np.float64(0))
        return total

    out, _ = theano.scan(row_cumsum, sequences=m)
    f = compile_on(backend, [m], out)
    values = rng.standard_normal((3, 4))
    np.testing.assert_allclose(f(values), np.cumsum(values, axis=1), rtol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_initial_value_with_a_length_one_axis(backend):
    # a constant [0.] is broadcastable along its axis; the step's result is not: the state's
    # type takes the step's
    x = T.dmatrix("x")
    total, _ = theano.scan(lambda row, acc: acc + row, sequences=x, outputs_info=np.zeros(1))
    assert not total.broadcastable[1]
    np.testing.assert_allclose(compile_on(backend, [x], total)(np.ones((3, 1))), [[1], [2], [3]])


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_loop_keeping_only_its_last_value(backend):
    # graphlab's own loops (the gradient's accumulators, shared variables' updates) keep only
    # the last value: a ring of the values the taps read
    start = T.dvector("start")
    n = T.lscalar("n")
    (last,) = scan_keeping_last(lambda older, old: older + 2 * old,
                                sequences=[], outputs_info=[{"initial": start, "taps": [-2, -1]}],
                                last_only=[True], non_sequences=[], n_steps=n)
    assert last.ndim == 0
    f = compile_on(backend, [start, n], last)
    values = [1.0, 2.0]
    for _ in range(6):
        values.append(values[-2] + 2 * values[-1])
    for steps in range(5):
        assert f(np.array([1.0, 2.0, 99.0]), steps) == values[steps + 1]


def test_the_body_runs_on_the_backend_asked_for(monkeypatch):
    from graphlab_kernel.scan_module import Scan
    compiled = []
    real_body = Scan.body

    def body(self, backend=None):
        compiled.append(backend)
        return real_body(self, backend)

    monkeypatch.setattr(Scan, "body", body)
    require_compiler()
    x = T.dvector("x")
    for backend, expected in (("numpy", "numpy"), ("c", "c")):
        total, _ = theano.scan(lambda v, acc: acc + v, sequences=x, outputs_info=np.float64(0))
        compiled.clear()
        function([x], total, backend=backend)
        assert compiled == [expected]


def test_identical_loops_merge_and_different_ones_do_not():
    x = T.dvector("x")

    def cumsum(seq):
        return theano.scan(lambda v, acc: acc + v, sequences=seq, outputs_info=np.float64(0))[0]

    a, b = cumsum(x), cumsum(x)
    assert a.owner.op == b.owner.op and hash(a.owner.op) == hash(b.owner.op)
    assert a.owner.op is not b.owner.op
    f = function([x], [a, b], backend="numpy")
    assert len(loops_in(f)) == 1
    c, _ = theano.scan(lambda v, acc: acc * v, sequences=x, outputs_info=np.float64(1))
    assert c.owner.op != a.owner.op
    d, _ = theano.scan(lambda v, acc: acc + v, sequences=x, outputs_info=np.float64(0),
                       go_backwards=True)
    assert d.owner.op != a.owner.op
    first, second = function([x], [a, c], backend="numpy")(np.array([1.0, 2.0, 3.0]))
    assert first.tolist() == [1, 3, 6] and second.tolist() == [1, 2, 6]


def test_unoptimized_outer_graph_and_unoptimized_body():
    x = T.dvector("x")
    total, _ = theano.scan(lambda v, acc: acc + v * 1, sequences=x, outputs_info=np.float64(0),
                           mode="NO_OPT")
    f = function([x], total, mode="NO_OPT")
    assert f(np.array([1.0, 2.0])).tolist() == [1, 3]
    (op,) = loops_in(f)
    assert op.body().history == []  # the body compiled as asked, without rewrites
    optimized, _ = theano.scan(lambda v, acc: acc + v * 1, sequences=x,
                               outputs_info=np.float64(0))
    (op,) = loops_in(function([x], optimized))
    assert any(r.rule == "mul_by_one" for r in op.body().history)


def test_the_body_compiles_once_per_loop():
    x = T.dvector("x")
    total, _ = theano.scan(lambda v, acc: acc + v, sequences=x, outputs_info=np.float64(0))
    f = function([x], total, backend="numpy")
    (op,) = loops_in(f)
    body = op.body("numpy")
    for n in (3, 5):
        f(np.ones(n))
    assert op.body("numpy") is body
    g = function([x], total * 2, backend="numpy")  # another function with the same loop
    assert loops_in(g)[0].body("numpy") is body


def test_unused_non_sequences_and_unread_gradient_sequences_are_left_out():
    x, W = T.dvector("x"), T.dmatrix("W")
    total, _ = theano.scan(lambda v, acc, W: acc + v, sequences=x, outputs_info=np.float64(0),
                           non_sequences=W)
    assert W not in total.owner.inputs
    # the backward loop of a running sum reads neither the forward values nor x: only the
    # cost's gradient and the forward outputs standing in for the body's results
    f = function([x], theano.grad(T.sum(total), x))
    (back,) = [op for op in loops_in(f) if op.name == "grad_of_scan_fn"]
    assert back.n_seqs == 2
    assert not any("Join" in str(n.op) for n in f.maker.fgraph.toposort())


@pytest.mark.parametrize("backend", ["c", "numpy"])
def test_a_random_draw_in_the_body_is_a_new_draw_at_every_step(backend):
    """As Theano's scan: the state's default update is carried from step to step, and the
    returned updates hold the state after the last step; the steps' values are the stream's
    successive draws."""
    from graphlab_kernel.tensor.shared_randomstreams import RandomStreams
    noise = RandomStreams(seed=1).normal((3,))
    h0 = T.dvector("h0")
    hs, updates = theano.scan(lambda h: h + noise, outputs_info=h0, n_steps=4)
    assert list(updates) == [noise.rng]
    f = function([h0], hs, updates=updates, backend=backend)
    reference = RandomStreams(seed=1).normal((3,))
    draw = function([], reference, backend=backend)
    for _ in range(2):
        expected = np.cumsum([draw() for _ in range(4)], axis=0)
        np.testing.assert_allclose(f(np.zeros(3)), expected, rtol=1e-15)
        np.testing.assert_array_equal(noise.rng.get_value(), reference.rng.get_value())


@pytest.mark.parametrize("backend", ["c", "numpy"])
def test_map_reduce_foldl_foldr_are_scans(backend):
    x, y, k = T.dvector("x"), T.dvector("y"), T.dscalar("k")
    squares, _ = theano.map(lambda v, w, k: k * v * w, sequences=[x, y], non_sequences=k)
    total, _ = theano.reduce(lambda v, acc: acc + v, x, np.float64(0))
    left, _ = theano.foldl(lambda v, acc: acc * 10 + v, x, np.float64(0))
    right, _ = theano.foldr(lambda v, acc: acc * 10 + v, x, np.float64(0))
    both, _ = theano.reduce(lambda v, s, m: [s + v, T.maximum(m, v)], x,
                            [np.float64(0), np.float64(-np.inf)])
    f = function([x, y, k], [squares, total, left, right, *both], backend=backend)
    xv, yv = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])
    sq, tot, lft, rgt, s, m = f(xv, yv, 0.5)
    np.testing.assert_array_equal(sq, 0.5 * xv * yv)
    assert (tot, lft, rgt, s, m) == (6.0, 123.0, 321.0, 6.0, 3.0)
    assert np.ndim(tot) == 0
