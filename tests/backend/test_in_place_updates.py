"""Shared variables updated in their own arrays (codegen._in_place_updates, the direct call).

A Gemm or Elemwise update may write the new value into the shared variable's array instead of a
fresh one. The values must be exactly those of the functional semantics (every update computed
from the values before the call), whatever aliases whatever; the C code must refuse the array
when another input overlaps it; and a failing call must change nothing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphlab_kernel as G
import graphlab_kernel.tensor as T
from graphlab_kernel import function
from graphlab_kernel.backend.c.codegen import _in_place_updates


def in_place_plan(f) -> tuple[list, list]:
    """(declined nodes' ops, [(update target name, op)] in the order they run) for `f`."""
    fgraph = f.maker.fgraph
    declined, ordered = _in_place_updates(fgraph, fgraph.toposort())
    return ([str(n.op) for n in declined],
            [(fgraph.inputs[i].name, str(n.op)) for n, (_, i) in ordered.items()])


def gemm_step(rows=6, cols=4):
    """W <- W - 0.1 * x.T @ (x @ W - t): one Gemm updating W."""
    rng = np.random.RandomState(0)
    x, t = T.dmatrix("x"), T.dmatrix("t")
    W = G.shared(rng.randn(rows, cols), name="W")
    err = T.dot(x, W) - t
    f = function([x, t], (err ** 2).sum(), updates=[(W, W - 0.1 * T.dot(x.T, err))],
                 backend="c")
    return f, W


def numpy_gemm_step(X, Y, Wv):
    err = X @ Wv - Y
    return (err ** 2).sum(), Wv - 0.1 * X.T @ err


def test_a_gemm_update_writes_into_the_weights_own_array():
    f, W = gemm_step()
    assert in_place_plan(f) == ([], [("W", "Gemm")])
    assert "output 1 is input 2's next value" in f.c_source
    rng = np.random.RandomState(1)
    X, Y = rng.randn(9, 6), rng.randn(9, 4)
    array = W.get_value(borrow=True)
    for _ in range(3):
        Wv = W.get_value()
        cost, want = numpy_gemm_step(X, Y, Wv)
        np.testing.assert_allclose(f(X, Y), cost, rtol=1e-12)
        assert W.get_value(borrow=True) is array  # updated where it was
        np.testing.assert_allclose(array, want, rtol=1e-12)


def test_weight_decay_scales_the_weights_in_place():
    rng = np.random.RandomState(8)
    x, t = T.dmatrix("x"), T.dmatrix("t")
    W = G.shared(rng.randn(30, 20), name="W")
    err = T.dot(x, W) - t
    f = function([x, t], [], updates=[(W, 0.9 * W - 0.01 * T.dot(x.T, err))], backend="c")
    assert in_place_plan(f)[1] == [("W", "Gemm")]  # gemm(W, -0.01, x.T, err, 0.9)
    X, Y = rng.randn(40, 30), rng.randn(40, 20)
    array, want = W.get_value(borrow=True), W.get_value()
    for _ in range(4):
        f(X, Y)
        want = 0.9 * want - 0.01 * X.T @ (X @ want - Y)
        np.testing.assert_allclose(array, want, rtol=1e-12)
    assert W.get_value(borrow=True) is array


def test_elemwise_updates_are_in_place_too_and_observers_hear_of_them():
    a = G.shared(np.arange(4.0), name="a")
    n = G.shared(np.int64(0), name="n")
    f = function([], a.sum(), updates=[(a, a * 2 + 1), (n, n + 1)], backend="c")
    assert {name for name, _ in in_place_plan(f)[1]} == {"a", "n"}
    heard = []
    a.observe(lambda s: heard.append(s.get_value()))
    array = a.get_value(borrow=True)
    assert float(f()) == 0 + 1 + 2 + 3
    assert float(f()) == 1 + 3 + 5 + 7
    assert a.get_value(borrow=True) is array
    np.testing.assert_array_equal(array, [3, 7, 11, 15])
    assert int(n.get_value()) == 2
    assert len(heard) == 2
    np.testing.assert_array_equal(heard[0], [1, 3, 5, 7])
    np.testing.assert_array_equal(heard[1], array)


def test_a_borrowed_array_is_the_one_updated_and_a_copy_is_not():
    data = np.ones(3)
    s = G.shared(data, borrow=True)
    f = function([], [], updates=[(s, s + 1)], backend="c")
    f()
    copy = s.get_value()
    f()
    assert s.get_value(borrow=True) is data  # borrowing aliases, as in Theano
    np.testing.assert_array_equal(data, [3, 3, 3])
    np.testing.assert_array_equal(copy, [2, 2, 2])


def test_an_embedding_row_update_writes_one_row_of_the_table_in_place():
    rng = np.random.RandomState(6)
    table = G.shared(rng.randn(50, 3), name="E")
    i, g = T.lscalar("i"), T.dvector("g")
    row = table[i]
    f = function([i, g], row.sum(), updates=[(table, T.inc_subtensor(row, -0.1 * g))],
                 backend="c")
    reset = function([i], [], updates=[(table, T.set_subtensor(table[i], T.zeros_like(table[i])))],
                     backend="c")
    assert in_place_plan(f)[1] == [("E", str(f.maker.fgraph.outputs[1].owner.op))]
    assert in_place_plan(reset)[1][0][0] == "E"
    array = table.get_value(borrow=True)
    for index in (3, -1, 3):
        old = array.copy()
        grad = rng.randn(3)
        assert float(f(index, grad)) == pytest.approx(old[index].sum(), rel=1e-12)
        want = old.copy()
        want[index] -= 0.1 * grad
        np.testing.assert_allclose(array, want, rtol=1e-12)
        assert table.get_value(borrow=True) is array
    reset(7)
    assert table.get_value(borrow=True) is array and not array[7].any()
    before = array.copy()
    with pytest.raises(IndexError):
        f(50, np.ones(3))  # checked with the shapes, before anything is written
    with pytest.raises(ValueError, match="broadcast"):
        f(0, np.ones(4))
    assert table.get_value(borrow=True) is array
    np.testing.assert_array_equal(array, before)


def test_outputs_of_the_old_value_are_read_before_it_is_overwritten():
    W = G.shared(np.arange(6.0).reshape(2, 3), name="W")
    f = function([], [W, W.T, W[1], W.sum()], updates=[(W, W * 10)], backend="c")
    for step in range(3):
        old = W.get_value()
        got = f()
        np.testing.assert_array_equal(got[0], old)
        np.testing.assert_array_equal(got[1], old.T)
        np.testing.assert_array_equal(got[2], old[1])
        assert float(got[3]) == old.sum()
        np.testing.assert_array_equal(W.get_value(), old * 10)
        assert not any(np.shares_memory(g, W.get_value(borrow=True)) for g in got)


def test_updates_reading_each_other_see_the_values_before_the_call():
    a = G.shared(np.array([1.0, 2.0]), name="a")
    b = G.shared(np.array([3.0, 5.0]), name="b")
    # a's new value reads b: a's node must run before b is overwritten
    f = function([], [], updates=[(a, a + b), (b, b * 2)], backend="c")
    assert in_place_plan(f)[1][0][0] == "a" and len(in_place_plan(f)[1]) == 2
    # each reads the other: one of them goes to a fresh array
    g = function([], [], updates=[(a, a + b), (b, b * a)], backend="c")
    declined, ordered = in_place_plan(g)
    assert len(declined) == 1 and len(ordered) == 1
    for fn, rule in ((f, lambda av, bv: (av + bv, bv * 2)), (g, lambda av, bv: (av + bv, bv * av))):
        for _ in range(3):
            av, bv = a.get_value(), b.get_value()
            fn()
            want = rule(av, bv)
            np.testing.assert_array_equal(a.get_value(), want[0])
            np.testing.assert_array_equal(b.get_value(), want[1])


def test_an_update_reading_a_view_of_its_own_variable_is_not_in_place():
    W = G.shared(np.arange(9.0).reshape(3, 3), name="W")
    f = function([], [], updates=[(W, W + W.T)], backend="c")
    assert in_place_plan(f)[1] == []
    for _ in range(2):
        old = W.get_value()
        f()
        np.testing.assert_array_equal(W.get_value(), old + old.T)


@pytest.mark.parametrize("alias", ["itself", "a view", "a transposed view"])
def test_an_argument_sharing_memory_with_the_updated_array_gets_the_old_values(alias):
    """The C code refuses the array (status 5) when a contiguous argument overlaps it, and the
    call runs again into a fresh array; a non-contiguous argument (the transposed view) takes
    the general path, whose outputs are always fresh. Either way the array is replaced."""
    rng = np.random.RandomState(2)
    x = T.dmatrix("x")
    W = G.shared(rng.randn(12, 12), name="W")  # large enough for BLAS
    f = function([x], [], updates=[(W, W - 0.1 * T.dot(x.T, x))], backend="c")
    assert in_place_plan(f)[1] == [("W", "Gemm")]
    f(rng.randn(12, 12))
    for _ in range(2):
        array = W.get_value(borrow=True)
        arg = {"itself": array, "a view": array[1:], "a transposed view": array.T}[alias]
        want = array - 0.1 * arg.T @ arg  # computed before the call
        f(arg)
        assert W.get_value(borrow=True) is not array
        np.testing.assert_allclose(W.get_value(), want, rtol=1e-12)


def test_two_shared_variables_on_one_array_are_updated_from_the_old_values():
    data = np.arange(3.0)
    s1, s2 = G.shared(data, borrow=True), G.shared(data, borrow=True)
    f = function([], [], updates=[(s1, s1 + 1), (s2, s2 * 2)], backend="c")
    for _ in range(2):
        v1, v2 = s1.get_value(), s2.get_value()
        f()
        np.testing.assert_array_equal(s1.get_value(), v1 + 1)
        np.testing.assert_array_equal(s2.get_value(), v2 * 2)


@pytest.mark.parametrize("kind", ["read-only", "strided", "Fortran order"])
def test_an_array_that_cannot_be_written_in_place_is_replaced(kind):
    f, W = gemm_step()
    rng = np.random.RandomState(3)
    X, Y = rng.randn(9, 6), rng.randn(9, 4)
    f(X, Y)
    value = rng.randn(6, 4)
    if kind == "read-only":
        value.flags.writeable = False
    elif kind == "strided":
        value = np.repeat(value, 2, axis=1)[:, ::2]
    else:
        value = np.asfortranarray(value)
    before = value.copy()
    W.set_value(value, borrow=True)
    assert W.get_value(borrow=True) is value
    cost, want = numpy_gemm_step(X, Y, before)
    np.testing.assert_allclose(f(X, Y), cost, rtol=1e-12)
    np.testing.assert_allclose(W.get_value(), want, rtol=1e-12)
    np.testing.assert_array_equal(value, before)  # not written
    assert W.get_value(borrow=True) is not value


def test_a_failing_call_changes_no_shared_array():
    f, W = gemm_step()
    rng = np.random.RandomState(4)
    X, Y = rng.randn(9, 6), rng.randn(9, 4)
    f(X, Y)
    f(X, Y)
    array = W.get_value(borrow=True)
    before = array.copy()
    with pytest.raises(ValueError, match="shape"):
        f(X, rng.randn(9, 5))  # t of the wrong width
    assert W.get_value(borrow=True) is array
    np.testing.assert_array_equal(array, before)


def test_an_update_that_would_stretch_the_array_raises_and_leaves_it():
    """s (a matrix of one row) + x of two rows: s's type does not broadcast along its rows, so
    the new value cannot take another shape; the call fails and s keeps its array and values."""
    s = G.shared(np.ones((1, 3)), name="s")
    x = T.dmatrix("x")
    f = function([x], [], updates=[(s, s + x)], backend="c")
    f(np.ones((1, 3)))
    array = s.get_value(borrow=True)
    f(np.ones((1, 3)))
    assert s.get_value(borrow=True) is array
    with pytest.raises(ValueError, match=r"input shapes \(1, 3\), \(2, 3\) do not broadcast"):
        f(np.full((2, 3), 5.0))
    assert s.get_value(borrow=True) is array
    np.testing.assert_array_equal(array, [[3, 3, 3]])


# Random sets of updates among three shared vectors, each an elementwise expression of any of
# them: C (in place where it can) against the NumPy backend, call after call.
EXPRESSIONS = [
    lambda u, v, w: u + v,
    lambda u, v, w: u * 2 - w,
    lambda u, v, w: T.tanh(v) + u * w,
    lambda u, v, w: v[::-1] + u,
    lambda u, v, w: u + v.sum(),
    lambda u, v, w: T.dot(T.outer(u, v), w),
]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, len(EXPRESSIONS) - 1),
                          st.permutations([0, 1, 2])), min_size=1, max_size=3,
                unique_by=lambda t: t[0]))
def test_random_updates_match_the_numpy_backend(plan):
    start = np.random.RandomState(5).randn(3, 4) * 0.5
    results = []
    for backend in ("c", "numpy"):
        shared = [G.shared(start[j].copy(), name=f"s{j}") for j in range(3)]
        updates = [(shared[target], EXPRESSIONS[e](*(shared[j] for j in order)))
                   for target, e, order in plan]
        f = function([], sum(s.sum() for s in shared), updates=updates, backend=backend)
        assert f.backend == backend
        for _ in range(3):
            f()
        results.append([s.get_value() for s in shared])
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12, atol=1e-12)


def test_threads_updating_their_own_weights_at_once_each_get_exact_results():
    """Four functions compiled from one graph share a C module (and its kept buffers); each
    thread's weights must end exactly as its own steps make them."""
    from tests.backend.threads import run_in_threads
    rng = np.random.RandomState(7)
    X, Y = rng.randn(40, 30) * 0.1, rng.randn(40, 20)  # small enough for the steps to converge
    runs = []
    for _ in range(4):
        f, W = gemm_step(30, 20)
        W.set_value(rng.randn(30, 20))
        runs.append((f, W, W.get_value()))
    errors: list = []

    def work(f, W, start):
        try:
            want = start
            for _ in range(30):
                f(X, Y)
                want = numpy_gemm_step(X, Y, want)[1]
            np.testing.assert_allclose(W.get_value(), want, rtol=1e-10, atol=1e-12)
        except Exception as exc:  # reported by the main thread
            errors.append(exc)

    assert run_in_threads(work, runs)
    assert not errors, errors[0]
    assert all(f.c_source == runs[0][0].c_source for f, _, _ in runs)
