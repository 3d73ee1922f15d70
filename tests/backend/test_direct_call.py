"""The direct call (backend/c/direct.py): the C backend's unrolled per-call path.

It must take the common case without going through the runner, and hand every other case to the
general path having done nothing, so that values, errors and shared state are exactly those of
the general path."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel as G
import graphlab_kernel.tensor as T
from graphlab_kernel import function


class CountingRunner:
    """Wraps a Function's general-path runner, counting the calls that reach it."""

    def __init__(self, f):
        self.run, self.calls = f._run, 0
        f._run = self

    def __call__(self, values):
        self.calls += 1
        return self.run(values)


def logistic_step(n_feats=5):
    rng = np.random.RandomState(3)
    x, y = T.dmatrix("x"), T.dvector("y")
    w = G.shared(rng.randn(n_feats), name="w")
    b = G.shared(0.5, name="b")
    p = 1 / (1 + T.exp(-T.dot(x, w) - b))
    xent = -y * T.log(p) - (1 - y) * T.log(1 - p)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = G.grad(cost, [w, b])
    f = function([x, y], [p > 0.5, xent], updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)],
                 backend="c")
    return f, w, b


def numpy_step(X, Y, wv, bv):
    p = 1 / (1 + np.exp(-(X @ wv) - bv))
    g = (p - Y) / len(Y)
    xent = -Y * np.log(p) - (1 - Y) * np.log(1 - p)
    return p > 0.5, xent, wv - 0.1 * (X.T @ g + 0.02 * wv), bv - 0.1 * g.sum()


def data(n, k=5, seed=0):
    rng = np.random.RandomState(seed)
    return rng.randn(n, k), rng.randint(0, 2, n).astype(float)


def test_training_steps_take_the_direct_call_and_match_numpy():
    f, w, b = logistic_step()
    assert f.backend == "c" and "gl_call(1, " in f.call_source
    assert "t0._assign(o2)" in f.call_source and "return [o0, o1]" in f.call_source
    counting = CountingRunner(f)
    X, Y = data(7)
    for step in range(4):
        wv, bv = w.get_value(), float(b.get_value())
        pred, xent = f(X, Y)
        want = numpy_step(X, Y, wv, bv)
        np.testing.assert_array_equal(pred, want[0])
        np.testing.assert_allclose(xent, want[1], rtol=1e-12)
        np.testing.assert_allclose(w.get_value(), want[2], rtol=1e-12)
        np.testing.assert_allclose(b.get_value(), want[3], rtol=1e-12)
        assert pred.dtype == bool and xent.shape == (7,) and b.get_value().shape == ()
    # the first call learns the output shapes through the runner; the rest never reach it
    assert counting.calls == 1


def test_the_direct_call_tells_observers_of_each_update():
    f, w, _ = logistic_step()
    seen = []
    w.observe(lambda s: seen.append(s.get_value()))
    X, Y = data(6)
    f(X, Y)
    f(X, Y)
    assert len(seen) == 2
    np.testing.assert_array_equal(seen[-1], w.get_value())


@pytest.mark.parametrize("case", ["list", "int64", "transposed", "strided", "misaligned",
                                  "fortran"])
def test_arguments_the_direct_call_declines_get_the_general_paths_values(case):
    f, w, b = logistic_step()
    X, Y = data(8, seed=1)
    f(X, Y)  # the direct call now knows the shapes
    counting = CountingRunner(f)
    if case == "list":
        args = (X.tolist(), Y.tolist())
    elif case == "int64":
        args = (np.round(X * 3).astype(np.int64), Y.astype(np.int64))
    elif case == "transposed":
        args = (np.ascontiguousarray(X.T).T, Y)
    elif case == "strided":
        args = (np.repeat(X, 2, axis=0)[::2], np.repeat(Y, 3)[::3])
    elif case == "fortran":
        args = (np.asfortranarray(X), Y)
    else:  # float64 data starting one byte into a buffer: C would misread it
        raw = np.zeros(X.size * 8 + 1, np.uint8)
        args = (raw[1:].view(np.float64).reshape(X.shape), Y)
        args[0][...] = X
        assert not args[0].flags.aligned
    wv, bv = w.get_value(), float(b.get_value())
    pred, xent = f(*args)
    want = numpy_step(np.asarray(args[0], float), np.asarray(args[1], float), wv, bv)
    np.testing.assert_array_equal(pred, want[0])
    np.testing.assert_allclose(xent, want[1], rtol=1e-9)
    np.testing.assert_allclose(w.get_value(), want[2], rtol=1e-12)
    assert counting.calls == 1  # declined: the general path ran, once


def test_shape_changes_go_through_the_runner_once_then_direct_again():
    f, w, b = logistic_step()
    counting = CountingRunner(f)
    for n, calls in ((7, 1), (7, 1), (3, 2), (3, 2), (3, 2), (7, 3), (0, 4), (0, 4), (7, 5)):
        X, Y = data(n, seed=n)
        wv, bv = w.get_value(), float(b.get_value())
        pred, xent = f(X, Y)
        assert pred.shape == xent.shape == (n,)
        want = numpy_step(X, Y, wv, bv)
        np.testing.assert_allclose(xent, want[1], rtol=1e-12)
        np.testing.assert_allclose(w.get_value(), want[2], rtol=1e-12, atol=1e-300)
        # each new shape goes through the runner once, empty outputs included
        assert counting.calls == calls, (n, counting.calls)


def test_a_failing_call_raises_the_general_error_and_changes_no_shared_value():
    f, w, b = logistic_step()
    X, Y = data(6)
    f(X, Y)
    before = w.get_value(borrow=True), b.get_value(borrow=True)
    with pytest.raises(ValueError, match=r"has shape \(4,\) but X has shape \(6, 5\)"):
        f(X, Y[:4])
    with pytest.raises(ValueError, match=r"shape \(6, 3\)"):
        f(X[:, :3], Y)
    with pytest.raises(TypeError, match="takes 2 argument"):
        f(X)
    with pytest.raises(TypeError, match="1-d"):
        f(X, X)
    assert w.get_value(borrow=True) is before[0] and b.get_value(borrow=True) is before[1]


def test_broadcastable_inputs_are_checked_before_c():
    r, m = T.drow("r"), T.dmatrix("m")
    f = function([r, m], r * m + 1, backend="c")
    M = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(f(np.ones((1, 3)) * 2, M), 2 * M + 1)
    np.testing.assert_array_equal(f(np.ones((1, 3)) * 3, M), 3 * M + 1)
    with pytest.raises(ValueError, match="length 1 along axis 0"):
        f(np.ones((2, 3)), M)


def test_shared_values_the_direct_call_cannot_pass_go_the_general_way():
    f, w, b = logistic_step()
    X, Y = data(5)
    f(X, Y)
    counting = CountingRunner(f)
    wide = np.zeros(10)
    wide[::2] = w.get_value()
    w.set_value(wide[::2], borrow=True)  # a strided view: no buffer for C
    assert w.get_value(borrow=True).base is wide
    wv, bv = w.get_value(), float(b.get_value())
    f(X, Y)
    np.testing.assert_allclose(w.get_value(), numpy_step(X, Y, wv, bv)[2], rtol=1e-12)
    assert counting.calls == 1


def test_only_c_functions_with_arrays_have_a_direct_call():
    x, s = T.dscalar("x"), T.dscalar("s")
    assert function([x, s], x * s, backend="c").call_source is None  # called by value
    assert function([x, s], x * s, backend="numpy").call_source is None
    assert "a0.ndim != 0" in function([x], x * G.shared(2.0), backend="c").call_source


def test_functions_without_arguments_or_with_one_output():
    s = G.shared(np.arange(4.0), name="s")
    tick = function([], s.sum(), updates=[(s, s * 2)], backend="c")
    assert [float(tick()) for _ in range(3)] == [6.0, 12.0, 24.0]
    np.testing.assert_array_equal(s.get_value(), np.arange(4.0) * 8)
    x = T.dvector("x")
    one = function([x], T.exp(x), backend="c")
    v = np.linspace(-1, 1, 5)
    for _ in range(2):
        out = one(v)
        assert isinstance(out, np.ndarray)
        np.testing.assert_allclose(out, np.exp(v), rtol=1e-15)


def test_python_ints_and_floats_take_the_direct_call_for_int64_and_float64_scalars():
    table = G.shared(np.arange(12.0).reshape(4, 3), name="table")
    i, rate = T.lscalar("i"), T.dscalar("rate")
    f = function([i, rate], table[i] * rate, backend="c")
    # passed by value: no array is built for them
    assert "gl_call(1, fb(o0), *s0, a0, a1, fb(a2)" in f.call_source
    assert "int64_t in_v0, double in_v1, char *in_v2" in f.c_source
    counting = CountingRunner(f)
    f(0, 1.0)  # learns the output's shape
    for index, r in ((2, 0.5), (-1, 2.0), (np.int64(1), np.float64(3.0)),
                     (np.array(3), np.array(-1.5))):
        np.testing.assert_array_equal(f(index, r), np.arange(12.0).reshape(4, 3)[index] * r)
    assert counting.calls == 1
    np.testing.assert_array_equal(counting.run([np.array(1), np.array(2.0), table.get_value()])[0],
                                  [6.0, 8.0, 10.0])  # the general path passes them by value too
    # anything else goes to the general path, which converts or raises as it always did
    np.testing.assert_array_equal(f(True, 1), [3.0, 4.0, 5.0])
    with pytest.raises(IndexError):
        f(4, 1.0)
    assert counting.calls == 3
    with pytest.raises((TypeError, ValueError, OverflowError), match="argument 0"):
        f(2 ** 70, 1.0)  # refused by the conversion, before the runner
    assert counting.calls == 3
