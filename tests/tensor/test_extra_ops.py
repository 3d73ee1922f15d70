"""Theano's extra ops beyond what the op table checks: cumprod's gradient at zeros, errors, pp, and
that functions using them (and their gradients) compile to C."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel.tensor as T
from graphlab_kernel import function, grad, pp
from gradcheck import check_grad

BACKENDS = ["numpy", "c"]


def _cumprod_jacobian(x: np.ndarray) -> np.ndarray:
    """d cumprod(x)[j] / d x[i], from its definition: the product of x[k], k <= j, k != i."""
    n = len(x)
    jac = np.zeros((n, n))
    for j in range(n):
        for i in range(j + 1):
            jac[j, i] = np.prod(np.delete(x[:j + 1], i))
    return jac


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("values", [[2.0, 0.0, 3.0, 0.5, 4.0], [0.0, 1.5, 2.0, 0.0, 3.0],
                                    [1.5, -2.0, 0.5, 3.0, 0.0], [0.0, 0.0, 2.0, 1.0, 5.0],
                                    [1.5, -0.5, 2.0, 3.0, 0.7]])
def test_cumprod_gradient_is_exact_where_the_input_has_zeros(backend, values):
    x, w = T.dvector("x"), T.dvector("w")
    g = grad(T.sum(T.cumprod(x) * w), x)
    f = function([x, w], g, backend=backend)
    assert f.backend == backend and f.fallback_reason is None
    a = np.array(values)
    weights = np.array([0.3, -1.2, 0.8, 2.0, -0.4])
    got = f(a, weights)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, weights @ _cumprod_jacobian(a), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_cumprod_gradient_at_zeros_matches_finite_differences_along_any_axis(backend):
    x = T.dtensor3("x")
    rng = np.random.default_rng(7)
    a = rng.uniform(-2, 2, size=(3, 4, 5))
    a[0, 1, 2] = a[1, 0, 0] = a[1, 3, 4] = a[2, 2, 1] = a[2, 2, 3] = 0.0
    for axis in (0, 1, 2, None):
        cost = T.sum(T.cumprod(x, axis=axis) * rng.standard_normal(a.size if axis is None
                                                                    else a.shape))
        check_grad([x], cost, [a], [0], rng, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_cumulative_gradients_compile_to_c_and_keep_float32(backend):
    x = T.fmatrix("x")
    cost = T.sum(T.cumsum(x, axis=1) * T.cumprod(x, axis=0))
    g = grad(cost, x)
    assert g.dtype == "float32"
    f = function([x], g, backend=backend)
    assert f.backend == backend and f.fallback_reason is None
    a = np.random.default_rng(1).uniform(-1, 1, (3, 4)).astype("float32")
    f64 = function([x], g, backend="numpy")
    np.testing.assert_allclose(f(a), f64(a), rtol=1e-5, atol=1e-6)


def test_cumulative_axis_errors_name_the_function_and_the_input():
    m = T.dmatrix("m")
    with pytest.raises(ValueError, match=r"cumsum: axis 2 is out of range for m .*2 dimension"):
        T.cumsum(m, axis=2)
    with pytest.raises(ValueError, match=r"cumprod: axis -3 is out of range"):
        T.cumprod(m, axis=-3)
    with pytest.raises(TypeError, match=r"the axis of cumsum must be an int or None; got 1.5"):
        T.cumsum(m, axis=1.5)
    with pytest.raises(ValueError, match=r"cumsum: axis 0 is out of range for the scalar"):
        T.cumsum(T.dscalar("s"), axis=0)


def test_cumulative_pp_and_types():
    m = T.imatrix("m")
    assert pp(T.cumsum(m, axis=1)) == "cumsum(m, axis=1)"
    assert pp(T.cumprod(T.dvector("v"))) == "cumprod(v, axis=0)"
    assert T.cumsum(m, axis=-1).dtype == "int64"
    assert T.cumsum(T.bvector("b")).dtype == "int64"
    assert T.cumprod(T.vector("u", dtype="uint16")).dtype == "uint64"
    assert T.cumsum(T.frow("r"), axis=1).broadcastable == (True, False)


# --- broadcastable flags -------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_addbroadcast_checks_the_length_when_the_function_runs(backend):
    x, y = T.dmatrix("x"), T.dmatrix("y")
    f = function([x, y], T.addbroadcast(x, 1) * y, backend=backend)
    assert f.backend == backend and f.fallback_reason is None
    np.testing.assert_array_equal(f(np.full((2, 1), 2.0), np.ones((2, 3))), np.full((2, 3), 2.0))
    with pytest.raises(ValueError, match=r"Rebroadcast\{1: True\}: axis 1 of x must have length 1 "
                                         r"to be broadcastable; got shape \(2, 3\)"):
        f(np.ones((2, 3)), np.ones((2, 3)))
    p = function([x], T.patternbroadcast(x, (True, True)).sum(), backend=backend)
    with pytest.raises(ValueError, match=r"axis 0 of x must have length 1 .* shape \(4, 1\)"):
        p(np.ones((4, 1)))
    s = function([x], T.squeeze(x, axis=0), backend=backend)
    with pytest.raises(ValueError, match=r"axis 0 of x must have length 1 .* shape \(2, 5\)"):
        s(np.ones((2, 5)))


@pytest.mark.parametrize("backend", BACKENDS)
def test_rebroadcast_gradients(backend):
    x, r = T.dmatrix("x"), T.drow("r")
    rng = np.random.default_rng(4)
    cost = T.sum((T.addbroadcast(x, 0) * 2 + T.unbroadcast(r, 0)) * rng.standard_normal((1, 3)))
    cost = cost + T.sum(T.squeeze(T.addbroadcast(x, 0)) ** 2)
    g = grad(cost, [x, r])
    assert [v.type for v in g] == [x.type, r.type]
    f = function([x, r], g, backend=backend)
    assert f.backend == backend and f.fallback_reason is None
    check_grad([x, r], cost, [rng.standard_normal((1, 3)), rng.standard_normal((1, 3))], [0, 1],
               rng, backend=backend)


def test_broadcast_helpers_types_errors_and_pp():
    m = T.dmatrix("m")
    assert T.addbroadcast(m, 0).type == T.drow
    assert T.addbroadcast(T.drow("r"), 0).type == T.drow  # nothing to change: r itself
    assert T.unbroadcast(T.dcol("c"), -1).type == T.dmatrix
    assert T.patternbroadcast(m, (False, True)).type == T.dcol
    assert T.squeeze(T.tensor(dtype="int8", broadcastable=(True, False, True))).type == T.bvector
    assert pp(T.addbroadcast(m, 0, 1)) == "addbroadcast(m, 0, 1)"
    assert pp(T.unbroadcast(T.drow("r"), 0)) == "unbroadcast(r, 0)"
    with pytest.raises(ValueError, match=r"addbroadcast: axis 2 is out of range for m"):
        T.addbroadcast(m, 2)
    with pytest.raises(ValueError, match=r"patternbroadcast: the pattern must be 2 booleans"):
        T.patternbroadcast(m, (True,))


# --- stacking, splitting, tiling, repeating, rolling ---------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_gradients_compile_to_c_and_match_finite_differences(backend):
    x, v = T.dmatrix("x"), T.dvector("v")
    n, s = T.lscalar("n"), T.lvector("s")
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal(3)
    first, second = T.split(x, s, 2, axis=1)
    outs = [T.tile(x, (n, 1, 2)), T.repeat(x[:, :2], s, axis=1), T.repeat(v, n), T.roll(x, n),
            T.roll(x, -n, axis=0), first * 3, second ** 2, T.horizontal_stack(x, x[:, :1])]
    cost = sum(T.sum(o * rng.standard_normal(o_shape)) for o, o_shape in
               zip(outs, [(2, 3, 8), (3, 4), (6,), (3, 4), (3, 4), (3, 1), (3, 3), (3, 5)]))
    g = grad(cost, [x, v])
    f = function([x, v, n, s], g, backend=backend)
    assert f.backend == backend and f.fallback_reason is None
    s_value = np.array([1, 3])
    check_grad([x, v, n, s], cost, [a, b, 2, s_value], [0, 1], rng, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_counts_are_checked_when_the_function_runs(backend):
    x, r, s = T.dmatrix("x"), T.lvector("r"), T.lvector("s")
    k = T.lscalar("k")
    a = np.ones((2, 3))
    rep = function([x, r], T.repeat(x, r, axis=1), backend=backend)
    with pytest.raises(ValueError, match=r"Repeat\{axis=1\}: repeats has length 2 but axis 1 of x "
                                         r"has length 3 \(input shape \(2, 3\)\)"):
        rep(a, np.array([1, 2]))
    with pytest.raises(ValueError, match=r"Repeat\{axis=1\}: negative count in repeats"):
        rep(a, np.array([1, -1, 2]))
    with pytest.raises(ValueError, match=r"negative count in repeats"):
        function([x, k], T.repeat(x, k), backend=backend)(a, -2)
    tile = function([x, r], T.tile(x, r, ndim=2), backend=backend)
    np.testing.assert_array_equal(tile(a, np.array([2, 0])), np.tile(a, (2, 0)))
    with pytest.raises(ValueError, match=r"Tile\{ndim=2\}: reps has 3 lengths.* expected 2, one "
                                         r"per axis of the result"):
        tile(a, np.array([1, 2, 3]))
    with pytest.raises(ValueError, match=r"Tile\{ndim=2\}: negative count in reps \(1, -2\)"):
        tile(a, np.array([1, -2]))
    cut = function([x, s], T.split(x, s, 2, axis=1), backend=backend)
    for bad in ([1, 1], [4, -1], [2**62, 2**62 + 3]):
        with pytest.raises(ValueError, match=r"Split\{2, axis=1\}: the lengths \(.*\) must be at "
                                             r"least 0 and add up to 3, the length of axis 1 of x "
                                             r"\(shape \(2, 3\)\)"):
            cut(a, np.array(bad))
    with pytest.raises(ValueError, match=r"Split\{2, axis=1\}: splits_size has 3 lengths"):
        cut(a, np.array([1, 1, 1]))


def test_counts_computed_from_array_values_compile_to_c():
    # the counts are computed with the shape code, which sizes the result with them
    x = T.dmatrix("x")
    counts = T.cast(T.sum(x, axis=0), "int64")
    a = np.array([[1.0, 1.0], [0.0, 1.0]])
    for out, expected in [(T.repeat(x, counts, axis=1), np.repeat(a, [1, 2], axis=1)),
                          (T.tile(x, counts, ndim=2), np.tile(a, (1, 2))),
                          (T.split(x, T.cast(x[0], "int64"), 2, axis=0)[1], a[1:])]:
        f = function([x], out * 2, backend="c")
        assert f.backend == "c" and f.fallback_reason is None
        np.testing.assert_array_equal(f(a), expected * 2)
    bad = function([x], T.repeat(x, counts, axis=1), backend="c")
    with pytest.raises(ValueError, match="Repeat"):
        bad(np.array([[-3.0, 1.0], [0.0, 1.0]]))  # a negative count, computed: refused


def test_stack_split_tile_repeat_roll_errors_and_pp():
    m, v = T.dmatrix("m"), T.dvector("v")
    assert pp(T.tile(m, (2, 3))) == "tile(m, TensorConstant{[2 3]})"
    assert pp(T.repeat(v, 2)) == "repeat(v, TensorConstant{2}, axis=0)"
    assert pp(T.split(v, [1, 2], 2)[1]) == "split(v, TensorConstant{[1 2]}, 2, axis=0).1"
    assert T.tile(T.drow("r"), (1, 4)).type == T.drow
    assert T.tile(T.drow("r"), (2, 4)).type == T.dmatrix
    with pytest.raises(TypeError, match=r"horizontal_stack stacks matrices; input 1 \(v\)"):
        T.horizontal_stack(m, v)
    with pytest.raises(TypeError, match="vertical_stack takes at least two matrices; got 1"):
        T.vertical_stack(m)
    with pytest.raises(ValueError, match=r"splits_size \(1, 2\) has 2 lengths; expected "
                                         r"n_splits=3"):
        T.split(v, [1, 2], 3)
    with pytest.raises(ValueError, match="tile: reps given as a symbolic vector needs ndim="):
        T.tile(m, T.lvector("r"))
    with pytest.raises(TypeError, match=r"repeats of Repeat\{axis=0\} must be an integer scalar or "
                                        r"vector \(not uint64\)"):
        T.repeat(v, 1.5)
    with pytest.raises(TypeError, match=r"the shift of roll must be an integer scalar"):
        T.roll(v, T.lvector("s"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_results_too_big_to_count_are_refused_clearly(backend):
    x, r, k = T.dvector("x"), T.lvector("r"), T.lscalar("k")
    rep = function([x, r], T.repeat(x, r), backend=backend)
    with pytest.raises(ValueError, match=r"Repeat\{axis=0\}: the result would have more than "
                                         r"2\*\*63 - 1 elements along axis 0"):
        rep(np.ones(3), np.full(3, 2**62))
    with pytest.raises(ValueError, match=r"more than 2\*\*63 - 1 elements along axis 0"):
        function([x, k], T.repeat(x, k), backend=backend)(np.ones(3), 2**62)
    tile = function([x, k], T.tile(x, (k, 2, 1)), backend=backend)
    with pytest.raises(ValueError, match=r"Tile\{ndim=3\}: an array of shape \(.*\) is too big"):
        tile(np.ones(3), 2**62)
    with pytest.raises(ValueError, match=r"Tile\{ndim=3\}: the result would have more than "
                                         r"2\*\*63 - 1 elements along axis 2"):
        function([x, k], T.tile(x, (1, 1, k)), backend=backend)(np.ones(3), 2**62)


# --- nonzero ---------------------------------------------------------------------------------------


def test_nonzero_compiles_to_c_of_an_input_and_of_a_computed_value():
    x = T.dmatrix("x")
    a = np.array([[0.0, np.nan, -0.0], [2.0, 0.0, -1.5]])
    f = function([x], [T.nonzero(x, return_matrix=True), T.flatnonzero(x), T.nonzero_values(x)],
                 backend="c")
    assert f.backend == "c" and f.fallback_reason is None
    matrix, flat, values = f(a[:, ::-1])
    np.testing.assert_array_equal(matrix, np.array(np.nonzero(a[:, ::-1])))
    np.testing.assert_array_equal(flat, np.flatnonzero(a[:, ::-1]))
    np.testing.assert_array_equal(values, [np.nan, -1.5, 2.0])  # NaN is nonzero, -0.0 is not
    # a computed value: computed with the shape code, where nonzero counts its elements
    g = function([x], [T.nonzero(x > 0)[1], T.flatnonzero(T.exp(x) * 2 - 2) + 1], backend="c")
    assert g.backend == "c" and g.fallback_reason is None
    cols, flat = g(a)
    np.testing.assert_array_equal(cols, np.nonzero(a > 0)[1])
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(flat, np.flatnonzero(np.exp(a) * 2 - 2) + 1)
    cols, flat = g(np.ones((3, 4)))  # other shapes, other counts
    np.testing.assert_array_equal(cols, np.tile(np.arange(4), 3))
    np.testing.assert_array_equal(flat, np.arange(1, 13))


def test_nonzero_types_errors_and_pp():
    m = T.dmatrix("m")
    rows, cols = T.nonzero(m)
    assert rows.type == cols.type == T.lvector
    assert T.nonzero(T.bvector("b"), return_matrix=True).type == T.lrow
    assert pp(T.flatnonzero(m)) == "flatnonzero(m)"
    assert pp(rows) == "nonzero(m)[0]"
    with pytest.raises(TypeError, match="NonZero needs an array of at least 1 dimension; s is"):
        T.nonzero(T.dscalar("s"))


def test_methods_as_theanos_variables_have_them():
    x = T.dmatrix("x")
    a = np.array([[3.0, 0.0, -1.0], [2.0, 5.0, 0.0]])
    outs = [x.sort(), x.argsort(axis=0), x.cumsum(axis=1), x.cumprod(), x.repeat(2, axis=0),
            x[:1].squeeze(0), x.nonzero()[1], x.nonzero_values(), x.trace(), x.diagonal(1)]
    expected = [np.sort(a), np.argsort(a, axis=0, kind="stable"), np.cumsum(a, axis=1),
                np.cumprod(a), np.repeat(a, 2, axis=0), a[0], np.nonzero(a)[1], a[a != 0],
                np.trace(a), np.diagonal(a, 1)]
    f = function([x], outs, backend="c")
    assert f.backend == "c" and f.fallback_reason is None
    for got, e in zip(f(a), expected):
        np.testing.assert_array_equal(got, e)
