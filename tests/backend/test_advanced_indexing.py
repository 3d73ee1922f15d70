"""Advanced indexing (x[iv], m[iv, jv] and writing there) on the C backend beside the NumPy one:
every index dtype, out-of-range indices (the same IndexError on both, and a failing call changes
no shared variable), an embedding update at a vector of ids computed in the table's own array,
index vectors computed from the data, gradients against finite differences, and the negative
log-likelihood idiom. The values of every op are checked by the op table (test_op_table.py)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphlab_kernel as G
import graphlab_kernel.tensor as T
from graphlab_kernel import function
from graphlab_kernel.backend.c.codegen import _in_place_updates
from graphlab_kernel.gof.graph import graph_inputs
from gradcheck import check_grad

BACKENDS = ["c", "numpy"]
X = np.arange(12.0).reshape(4, 3)
INT_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]


def in_place(f) -> list[tuple[str, str]]:
    """[(shared variable, op)] of the updates `f` computes in the variable's own array."""
    fgraph = f.maker.fgraph
    return [(fgraph.inputs[i].name, str(n.op))
            for n, (_, i) in _in_place_updates(fgraph, fgraph.toposort())[1].items()]


@pytest.mark.parametrize("dtype", INT_DTYPES)
@pytest.mark.parametrize("backend", BACKENDS)
def test_every_index_dtype_reads_and_writes_what_numpy_does(backend, dtype):
    x, y = T.dmatrix("x"), T.dvector("y")
    iv, jv = T.vector("iv", dtype=dtype), T.vector("jv", dtype=dtype)
    f = function([x, y, iv, jv], [x[iv], x[iv, jv], T.inc_subtensor(x[iv], 1.0),
                                  T.set_subtensor(x[iv, jv], y)], backend=backend)
    assert f.backend == backend
    signed = np.dtype(dtype).kind == "i"
    rows = np.array([3, -1, 0, 3] if signed else [3, 3, 0, 3], dtype=dtype)
    cols = np.array([2, -1, -3, 1] if signed else [2, 2, 0, 1], dtype=dtype)
    values = np.array([10.0, 20.0, 30.0, 40.0])
    read, pairs, added, written = f(X, values, rows, cols)
    np.testing.assert_array_equal(read, X[rows])
    np.testing.assert_array_equal(pairs, X[rows, cols])
    expected = X.copy()
    np.add.at(expected, rows, 1.0)
    np.testing.assert_array_equal(added, expected)
    expected = X.copy()
    expected[rows, cols] = values  # (3, 2) is written twice: the last write wins
    np.testing.assert_array_equal(written, expected)
    assert written[3, 2] == 20.0 and written[3, 1] == 40.0


def _message(op: str, index: int, axis: int = 0, length: int = 4, shape=(4, 3)) -> str:
    return re.escape(f"{op}: index {index} is out of range for axis {axis} of length {length} "
                     f"(input shape {shape})")


OUT_OF_RANGE = [  # (index dtype, the bad value, where it is)
    ("int64", 4, 0), ("int64", -5, 1), ("int64", -2**63, 2), ("int8", 127, 0),
    ("int32", -9, 2), ("uint8", 200, 1), ("uint64", 2**64 - 1, 0), ("uint64", 2**63, 2),
]


@pytest.mark.parametrize("dtype,bad,at", OUT_OF_RANGE)
@pytest.mark.parametrize("backend", BACKENDS)
def test_an_index_out_of_range_is_an_index_error_naming_it(backend, dtype, bad, at):
    """A uint64 above 2**63 - 1 is out of range, not a negative index."""
    x, y = T.dmatrix("x"), T.dscalar("y")
    iv = T.vector("iv", dtype=dtype)
    ids = np.array([1, 2, 0], dtype=dtype)
    ids[at] = np.array(bad).astype(dtype)
    ok = np.array([1, 2, 0], dtype=dtype)
    for op, out in [("AdvancedSubtensor1", x[iv]),
                    ("AdvancedIncSubtensor1{no_inplace,inc}", T.inc_subtensor(x[iv], y)),
                    ("AdvancedSubtensor", x[ok, iv]),
                    ("AdvancedIncSubtensor{no_inplace,set}", T.set_subtensor(x[iv, ok], y))]:
        f = function([x, y, iv], out, backend=backend, on_unused_input="ignore")
        assert f.backend == backend
        axis = 1 if op == "AdvancedSubtensor" else 0
        length = 3 if axis else 4
        with pytest.raises(IndexError, match=_message(op, bad, axis, length)):
            f(X, 1.0, ids)
        f(X, 1.0, np.array([1, 2, 0], dtype=dtype))  # and the function still works


@pytest.mark.parametrize("backend", BACKENDS)
def test_shapes_that_do_not_fit_raise_and_empty_selections_check_nothing(backend):
    x, y, iv, jv = T.dmatrix("x"), T.dmatrix("y"), T.lvector("iv"), T.lvector("jv")
    pairs = function([x, iv, jv], x[iv, jv], backend=backend)
    add = function([x, y, iv], T.inc_subtensor(x[iv], y), backend=backend)
    with pytest.raises(IndexError, match=re.escape(
            "AdvancedSubtensor: index arrays of shapes (2,) and (3,) do not broadcast together "
            "(input shape (4, 3))")):
        pairs(X, [0, 1], [0, 1, 2])
    with pytest.raises(ValueError, match=re.escape(
            "AdvancedIncSubtensor1{no_inplace,inc}: a value of shape (2, 2) does not broadcast "
            "to the region of shape (2, 3) (input shape (4, 3))")):
        add(X, np.ones((2, 2)), [0, 1])
    # as in NumPy: a length-1 array broadcasts against an empty one, and selects nothing
    none = np.array([], dtype="int64")
    assert pairs(X, [7], none).shape == (0,) == X[[7], none].shape
    np.testing.assert_array_equal(add(X, np.ones((0, 3)), none), X)
    with pytest.raises(IndexError, match=_message("AdvancedSubtensor", 5, 1, 3)):
        function([x, iv], x[iv, 5], backend=backend)(X, none)  # but a scalar is checked
    with pytest.raises(IndexError, match=_message("AdvancedSubtensor1", 0, 0, 0, (0, 3))):
        function([x, iv], x[iv], backend=backend)(np.ones((0, 3)), [0])


def _graphs() -> dict:
    """Functions of a tensor3 t indexed on its first axes, in C and on NumPy, made once."""
    if not _GRAPHS:
        t, y, ym = T.dtensor3("t"), T.dvector("y"), T.dmatrix("ym")
        iv, jv, k = T.ivector("iv"), T.vector("jv", dtype="uint8"), T.lscalar("k")
        for name, out in [("t[iv]", t[iv]), ("t[iv, jv]", t[iv, jv]), ("t[iv, k]", t[iv, k]),
                          ("inc t[iv, jv]", T.inc_subtensor(t[iv, jv], y)),
                          ("set t[iv]", T.set_subtensor(t[iv], ym))]:
            inputs = [t, y, ym, iv, jv, k]
            _GRAPHS[name] = [function(inputs, out, backend=b, on_unused_input="ignore")
                             for b in BACKENDS]
    return _GRAPHS


_GRAPHS: dict = {}


def _outcome(f, args):
    try:
        return f(*args)
    except (IndexError, ValueError) as exc:
        return type(exc), str(exc).split("\n")[0]  # the NumPy backend adds the node's inputs


@settings(max_examples=60, deadline=None)
@given(shape=st.tuples(*[st.integers(0, 3)] * 3), length=st.integers(0, 4),
       stretch=st.sampled_from(["same", "one", "empty", "longer"]), data=st.data())
def test_c_does_what_the_numpy_reference_does_even_when_it_raises(shape, length, stretch, data):
    """Random shapes (zero lengths too), index values around the axes' lengths (out of range
    too), index vectors that do or do not broadcast, values that do or do not fit: C returns
    the same values as the NumPy backend, or raises the same error with the same message."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    other = {"same": length, "one": 1, "empty": 0, "longer": length + 1}[stretch]
    iv = rng.integers(-shape[0] - 1, shape[0] + 1, size=length, endpoint=True).astype("int32")
    jv = rng.integers(0, shape[1] + 1, size=other, endpoint=True).astype("uint8")
    k = int(rng.integers(-shape[1] - 1, shape[1] + 1, endpoint=True))
    y = rng.standard_normal(data.draw(st.sampled_from([shape[2], 1, shape[2] + 1])))
    rows = data.draw(st.sampled_from([shape[1], 1, shape[1] + 1]))
    ym = rng.standard_normal((rows, 2, shape[2]))[:, 0]  # a strided matrix
    t = rng.standard_normal(shape)[::-1]  # a reversed view
    for name, (f_c, f_numpy) in _graphs().items():
        args = [t, y, ym, iv, jv, k]
        got, expected = _outcome(f_c, args), _outcome(f_numpy, args)
        if isinstance(expected, tuple):
            assert got == expected, name
        else:
            np.testing.assert_array_equal(got, expected, err_msg=name)


def test_an_embedding_update_at_a_vector_of_ids_writes_the_table_in_place():
    """E[ids] -= lr * g: the rows at the ids (repeated ones add up) in E's own array, the ids
    checked with the shapes, so that a failing call leaves E as it was."""
    rng = np.random.RandomState(0)
    E = G.shared(rng.randn(20, 3), name="E")
    ids, g, lr = T.lvector("ids"), T.dmatrix("g"), T.dscalar("lr")
    rows = E[ids]
    f = function([ids, g, lr], (rows ** 2).sum(), updates=[(E, T.inc_subtensor(rows, -lr * g))],
                 backend="c")
    assert f.backend == "c"
    assert in_place(f) == [("E", "AdvancedIncSubtensor1{no_inplace,inc}")]
    f(np.arange(4), np.zeros((4, 3)), 0.1)  # the first call learns the shapes
    array = E.get_value(borrow=True)  # the next ones (arrays, same shapes) update it in place
    for ids_value in (np.array([3, 7, 3, -1]), np.array([19, 0, 0, 0])):
        old = array.copy()
        grad = rng.randn(4, 3)
        assert f(ids_value, grad, 0.1) == pytest.approx((old[ids_value] ** 2).sum(), rel=1e-12)
        want = old.copy()
        np.add.at(want, ids_value, -0.1 * grad)
        np.testing.assert_allclose(array, want, rtol=1e-12)
        assert E.get_value(borrow=True) is array
    before = array.copy()
    with pytest.raises(IndexError, match=_message("AdvancedSubtensor1", 20, 0, 20, (20, 3))):
        f(np.array([1, 2, 3, 20]), np.ones((4, 3)), 0.1)
    with pytest.raises(ValueError, match="does not broadcast"):
        f(np.array([1, 2, 3, 4]), np.ones((3, 3)), 0.1)
    assert E.get_value(borrow=True) is array
    np.testing.assert_array_equal(array, before)


def test_a_set_at_a_vector_of_ids_is_in_place_too():
    E = G.shared(np.ones((5, 2)), name="E")
    ids = T.vector("ids", dtype="uint8")
    f = function([ids], [], updates=[(E, T.set_subtensor(E[ids], 0.0))], backend="c")
    assert in_place(f) == [("E", "AdvancedIncSubtensor1{no_inplace,set}")]
    f(np.array([4], dtype="uint8"))
    array = E.get_value(borrow=True)
    f(np.array([1, 3], dtype="uint8"))
    assert E.get_value(borrow=True) is array
    np.testing.assert_array_equal(array[:, 0], [1, 0, 1, 0, 0])
    array[:] = 2.0
    with pytest.raises(IndexError, match=_message("AdvancedIncSubtensor1{no_inplace,set}", 5,
                                                  length=5, shape=(5, 2))):
        f(np.array([0, 5], dtype="uint8"))  # the set's own index: 0 is not written either
    assert E.get_value(borrow=True) is array and (array == 2.0).all()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_failing_call_changes_no_shared_variable(backend):
    """In C, the table's update at the ids given is computed in its own array, after w's, which
    reads the table (so must run first) and is computed in w's array too: an id out of range,
    checked with the shapes, leaves both as they were. So does an index out of range in the
    update at indices computed from the data (which is not computed in place)."""
    x, ids, k = T.dvector("x"), T.lvector("ids"), T.lscalar("k")
    w = G.shared(np.ones(4), name="w")
    table = G.shared(np.zeros((4, 2)), name="table")
    counts = G.shared(np.zeros(4), name="counts")
    computed = T.argmax(T.outer(x, w), axis=1) + k  # 4 indices computed in the run
    f = function([x, ids, k], [], backend=backend,
                 updates=[(w, w - x + table[:, 0]), (table, T.inc_subtensor(table[ids], 1.0)),
                          (counts, T.inc_subtensor(counts[computed], 1.0))])
    assert f.backend == backend
    if backend == "c":
        assert [name for name, _ in in_place(f)] == ["w", "table"]
    data, good = np.array([1.0, -1.0, 2.0, 0.5]), np.array([0, 0, 3])
    f(data, good, 0)
    f(data, good, 0)
    shared = (w, table, counts)
    before = [s.get_value() for s in shared]
    arrays = [s.get_value(borrow=True) for s in shared]
    for bad_ids, bad_k, message in [
            (np.array([1, 2, -5]), 0, _message("AdvancedIncSubtensor1{no_inplace,inc}", -5,
                                               shape=(4, 2))),
            (good, 4, r"AdvancedIncSubtensor1\{no_inplace,inc\}: index [4-7] is out of range "
                      r"for axis 0 of length 4 \(input shape \(4,\)\)")]:
        with pytest.raises(IndexError, match=message):
            f(data, bad_ids, bad_k)
        for s, value in zip(shared, before):
            np.testing.assert_array_equal(s.get_value(), value)
    if backend == "c":
        assert all(s.get_value(borrow=True) is a for s, a in zip(shared[:2], arrays))


def test_an_update_at_an_index_vector_computed_from_the_data_fails_before_writing():
    """Its index is checked only when its node runs: so it is not computed in place, and the
    Elemwise update beside it, which is, has not been written when it fails."""
    x, k = T.dvector("x"), T.lscalar("k")
    w = G.shared(np.ones(4), name="w")
    table = G.shared(np.zeros((4, 2)), name="table")
    at = T.argmax(T.outer(x, x), axis=0) + k  # a vector of 4 indices computed in the run
    f = function([x, k], [], updates=[(w, w - x), (table, T.inc_subtensor(table[at], 1.0))],
                 backend="c")
    assert f.backend == "c"
    assert [name for name, _ in in_place(f)] == ["w"]
    data = np.array([1.0, -3.0, 2.0, 0.5])
    f(data, 0)
    f(data, 0)
    before = (w.get_value(), table.get_value())
    array = w.get_value(borrow=True)
    with pytest.raises(IndexError, match=r"AdvancedIncSubtensor1\{no_inplace,inc\}: index 4 "
                                         r"is out of range for axis 0 of length 4"):
        f(data, 2)  # argmax(outer(x, x), axis=0) is [2, 1, 2, 2]: 2 + 2 = 4
    assert w.get_value(borrow=True) is array
    np.testing.assert_array_equal(w.get_value(), before[0])
    np.testing.assert_array_equal(table.get_value(), before[1])


def test_index_vectors_computed_from_the_data_compile_to_c():
    m = T.dmatrix("m")
    best = T.argmax(m, axis=1)
    f = function([m], [m[T.argmin(m, axis=0)], m[best, best - 1],
                       T.inc_subtensor(m[best], 10.0)], backend="c")
    assert f.backend == "c" and f.fallback_reason is None
    M = np.array([[3.0, -1.0, 2.0], [0.0, 5.0, 1.0], [7.0, 2.0, -4.0]])
    rows, cols = np.argmax(M, axis=1), np.argmax(M, axis=1) - 1
    expected = M.copy()
    np.add.at(expected, rows, 10.0)
    for got, want in zip(f(M), [M[np.argmin(M, axis=0)], M[rows, cols], expected]):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("backend", BACKENDS)
def test_strided_and_reversed_inputs_and_indices(backend):
    x, y, iv = T.dmatrix("x"), T.dmatrix("y"), T.ivector("iv")
    f = function([x, y, iv], [x[iv], T.inc_subtensor(x[iv], y), x[iv, iv[::-1]]],
                 backend=backend)
    xv = np.arange(60.0).reshape(6, 10)[::-2, ::3]  # shape (3, 4): negative, non-unit strides
    ids = np.array([2, 9, 2, 9, -1, 9, 1], dtype="int32")[::-2]  # [1, -1, 2, 2], reversed
    yv = np.asfortranarray(np.arange(16.0).reshape(4, 4))
    read, added, pairs = f(xv, yv, ids)
    np.testing.assert_array_equal(read, xv[ids])
    expected = xv.copy()
    np.add.at(expected, ids, yv)
    np.testing.assert_array_equal(added, expected)
    np.testing.assert_array_equal(pairs, xv[ids, ids[::-1]])


GRADIENTS = [  # (name, build(x, y, iv, jv), the inputs to differentiate by)
    ("x[iv]", lambda x, y, iv, jv: x[iv], "x"),
    ("x[iv, jv]", lambda x, y, iv, jv: x[iv, jv], "x"),
    ("log(x)[iv, jv] * x[iv, 0]", lambda x, y, iv, jv: T.log(x ** 2 + 1)[iv, jv] * x[iv, 0], "x"),
    ("inc x[iv]", lambda x, y, iv, jv: T.inc_subtensor(x[iv], y[:, 0].dimshuffle(0, "x")), "xy"),
    ("inc x[iv, jv]", lambda x, y, iv, jv: T.inc_subtensor(x[iv, jv], y.sum(axis=1)), "xy"),
    ("set x[iv]", lambda x, y, iv, jv: T.set_subtensor(x[iv], y) * x, "x"),
    ("set x[iv, jv]", lambda x, y, iv, jv: T.set_subtensor(x[iv, jv], T.exp(y[:, 1])) + x, "x"),
    ("set x[iv] distinct", lambda x, y, iv, jv: T.set_subtensor(x[iv[:3]], y[:3]), "xy"),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name,build,wrt", GRADIENTS, ids=[g[0] for g in GRADIENTS])
def test_gradients_match_finite_differences_with_repeated_indices(backend, name, build, wrt):
    """Repeated indices: a read's gradient adds up at each repeat (a scatter-add). set_subtensor
    is differentiated wrt y only where its indices are distinct (see AdvancedIncSubtensor1)."""
    rng = np.random.default_rng(4)
    x, y, iv, jv = T.dmatrix("x"), T.dmatrix("y"), T.lvector("iv"), T.lvector("jv")
    every = {x: rng.standard_normal((4, 3)), y: rng.standard_normal((6, 3)),
             iv: np.array([2, 0, -1, 2, 0, 2]), jv: np.array([1, -3, 2, 1, 0, 1])}
    out = build(x, y, iv, jv)
    inputs = [v for v in every if v in graph_inputs([out])]
    values = [every[v] for v in inputs]
    weights = rng.standard_normal(np.shape(function(inputs, out, backend="numpy")(*values)))
    cost = T.sum(out * weights)
    assert function(inputs, T.grad(cost, x), backend=backend).backend == backend
    check_grad(inputs, cost, values, [inputs.index(v) for v in inputs if v.name in wrt], rng,
               backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_negative_log_likelihood_idiom(backend):
    """-mean(log(p)[rows, y]): the log-probability of each example's class. Its gradient puts
    -1 / (n p[i, y[i]]) at (i, y[i]) and zero elsewhere."""
    p, y, rows = T.dmatrix("p"), T.ivector("y"), T.lvector("rows")
    nll = -T.mean(T.log(p)[rows, y])
    f = function([p, y, rows], [nll, T.grad(nll, p)], backend=backend)
    assert f.backend == backend
    P = np.random.default_rng(1).uniform(0.1, 1.0, size=(5, 4))
    P /= P.sum(axis=1, keepdims=True)
    Y = np.array([3, 0, 0, 2, 1], dtype="int32")
    value, gradient = f(P, Y, np.arange(5))
    assert value == pytest.approx(-np.mean(np.log(P)[np.arange(5), Y]), rel=1e-14)
    expected = np.zeros_like(P)
    expected[np.arange(5), Y] = -1.0 / (5 * P[np.arange(5), Y])
    np.testing.assert_allclose(gradient, expected, rtol=1e-14)


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_negative_log_likelihood_idiom_with_arange(backend):
    p, y = T.dmatrix("p"), T.ivector("y")
    nll = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    f = function([p, y], [nll, T.grad(nll, p)], backend=backend)
    assert f.backend == backend
    P = np.random.default_rng(2).uniform(0.1, 1.0, size=(5, 4))
    Y = np.array([3, 0, 0, 2, 1], dtype="int32")
    value, gradient = f(P, Y)
    assert value == pytest.approx(-np.mean(np.log(P)[np.arange(5), Y]), rel=1e-14)
    expected = np.zeros_like(P)
    expected[np.arange(5), Y] = -1.0 / (5 * P[np.arange(5), Y])
    np.testing.assert_allclose(gradient, expected, rtol=1e-14)
