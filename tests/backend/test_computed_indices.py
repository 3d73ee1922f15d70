"""Integer indices computed from array values (x[argmax(x)], a row picked by argmin, an increment
at a computed position) compile to C: the index is checked when its node runs. A failing check
raises IndexError and leaves every shared variable as it was, even one whose update the C code
computes in place. A slice bound computed from values sets a shape, so such a graph runs on
NumPy, and says why."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import graphlab_kernel as G
import graphlab_kernel.tensor as T

X = np.array([3.0, 9.0, 1.0, -4.0])
M = np.arange(12.0).reshape(3, 4) * np.array([1.0, -1.0, 1.0, -1.0])


def _cases():
    x, m, k = T.dvector("x"), T.dmatrix("m"), T.lscalar("k")
    return [
        ("max by index", [x], x[T.argmax(x)], [X], X[np.argmax(X)]),
        ("negative computed", [x, k], x[T.argmax(x) - k], [X, 3], X[np.argmax(X) - 3]),
        ("row of the largest first column", [m], m[T.argmax(m[:, 0]), 1:], [M],
         M[np.argmax(M[:, 0]), 1:]),
        ("column by argmin", [m], m[:, T.argmin(m[0])], [M], M[:, np.argmin(M[0])]),
        ("reversed view", [x], x[::-1][T.argmin(x)], [X], X[::-1][np.argmin(X)]),
        ("increment at the minimum", [x], T.inc_subtensor(x[T.argmin(x)], 10.0), [X],
         X + 10.0 * (np.arange(4) == np.argmin(X))),
        ("set a row", [m], T.set_subtensor(m[T.argmax(m.sum(axis=1))], 0.0), [M],
         M * (np.arange(3) != np.argmax(M.sum(axis=1)))[:, None]),
    ]


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c[0])
def test_a_computed_index_compiles_to_c_with_numpys_values(case):
    _, inputs, out, args, expected = case
    f = G.function(inputs, out, backend="c")
    assert f.backend == "c"
    np.testing.assert_array_equal(f(*args), expected)
    np.testing.assert_array_equal(f(*[np.asfortranarray(a) if isinstance(a, np.ndarray) else a
                                      for a in args]), expected)


@pytest.mark.parametrize("backend", ["c", "numpy"])
def test_a_computed_index_out_of_range_raises_and_no_shared_variable_changes(backend):
    x, k = T.dvector("x"), T.lscalar("k")
    w = G.shared(np.ones(4), name="w")
    table = G.shared(np.zeros((4, 2)), name="table")
    picked = w[T.argmax(w * x) + k]
    f = G.function([x, k], picked,
                   updates=[(w, w - x),  # an Elemwise update, computed in w's own array in C
                            (table, T.inc_subtensor(table[T.argmax(x) + k], picked))],
                   backend=backend)
    assert f.backend == backend
    assert f(X, 0) == 1.0
    w_before, table_before = w.get_value(), table.get_value()
    with pytest.raises(IndexError, match=r"Subtensor.*index 8 is out of range for axis 0 of "
                                         r"length 4"):  # argmax(w * x) is 2 now
        f(X, 6)
    np.testing.assert_array_equal(w.get_value(), w_before)
    np.testing.assert_array_equal(table.get_value(), table_before)
    assert f(X, -1) == w_before[np.argmax(w_before * X) - 1]


def test_a_slice_bound_computed_from_values_compiles_to_c():
    # the bound is computed with the shape code, before the slice's shape is worked out
    x = T.dvector("x")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = G.function([x], [x[T.argmax(x):] * 2, x[:T.argmin(x) + 1].sum()], backend="c")
    assert f.backend == "c" and f.fallback_reason is None
    tail, head = f(X)
    np.testing.assert_array_equal(tail, X[np.argmax(X):] * 2)
    assert head == X[:np.argmin(X) + 1].sum()
    rising = np.arange(5.0)
    tail, head = f(rising)  # other values, other shapes
    np.testing.assert_array_equal(tail, [8.0])
    assert head == 0.0
    m = T.dmatrix("m")
    g = G.function([m], T.inc_subtensor(m[:T.argmax(m.sum(axis=1)) + 1], 1.0), backend="c")
    assert g.backend == "c"
    mv = np.array([[0.0, 1.0], [5.0, 5.0], [1.0, 1.0]])
    np.testing.assert_array_equal(g(mv), mv + np.array([[1.0], [1.0], [0.0]]))


def test_an_update_at_a_computed_index_is_not_written_in_place():
    """The row update's own index fails here, after the other update could have been written
    into w's array: so it is computed into a fresh array, and the failing call changes nothing."""
    x, k = T.dvector("x"), T.lscalar("k")
    w = G.shared(np.ones(4), name="w")
    table = G.shared(np.zeros((2, 3)), name="table")
    f = G.function([x, k], [], updates=[(w, w - x),
                                        (table, T.inc_subtensor(table[T.argmax(x) + k], 1.0))],
                   backend="c")
    assert f.backend == "c"
    f(X, 0)  # the first call learns the shapes; the next ones take the direct call
    array = w.get_value(borrow=True)
    f(X, 0)
    assert w.get_value(borrow=True) is array  # w's update is computed in its own array
    w_before, table_before = w.get_value(), table.get_value()
    with pytest.raises(IndexError, match=r"IncSubtensor.*index 2 is out of range for axis 0 of "
                                         r"length 2"):
        f(X, 1)
    np.testing.assert_array_equal(w.get_value(), w_before)
    np.testing.assert_array_equal(table.get_value(), table_before)
