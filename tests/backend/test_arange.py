"""T.arange on both backends against np.arange: lengths, values, dtypes, errors, and where its
length cannot be computed with the shapes (a bound computed from array values)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import graphlab_kernel as G
import graphlab_kernel.tensor as T

BACKENDS = ["c", "numpy"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_integer_ranges_are_numpys(backend):
    a, b, h = T.lscalar("a"), T.lscalar("b"), T.lscalar("h")
    f = G.function([a, b, h], T.arange(a, b, h), backend=backend)
    assert f.backend == backend
    for args in itertools.product([-7, -1, 0, 1, 5, 9], [-6, 0, 3, 10], [-3, -1, 1, 2, 4]):
        got, expected = f(*args), np.arange(*args)
        assert got.dtype == expected.dtype == np.int64
        np.testing.assert_array_equal(got, expected, err_msg=str(args))


@pytest.mark.parametrize("backend", BACKENDS)
def test_float_ranges_are_numpys_to_the_bit(backend):
    """The length is ceil((stop - start) / step) in double, and the values NumPy's fill:
    start + i * ((start + step) - start); rounded bounds like 0.1 steps included."""
    a, b, h = T.dscalars("a", "b", "h")
    f = G.function([a, b, h], T.arange(a, b, h), backend=backend)
    rng = np.random.default_rng(0)
    draws = rng.uniform(-5, 5, size=(1500, 3))
    draws[:500] = np.round(draws[:500], 1)
    for args in draws:
        if args[2] == 0:
            continue
        got, expected = f(*args), np.arange(*args)
        assert got.dtype == np.float64 and got.shape == expected.shape, args
        assert np.array_equal(got, expected), args
    np.testing.assert_array_equal(f(0.0, 1.0, 0.1), np.arange(0.0, 1.0, 0.1))


@pytest.mark.parametrize("backend", BACKENDS)
def test_dtypes(backend):
    n, x = T.lscalar("n"), T.dscalar("x")
    assert T.arange(n).dtype == "int64" and T.arange(T.bscalar()).dtype == "int64"
    assert T.arange(x).dtype == T.arange(0, n, 0.5).dtype == "float64"
    f = G.function([n], [T.arange(n, dtype="float32"), T.arange(-3, n, 2, dtype="int8")],
                   backend=backend)
    small, wrapped = f(300)
    np.testing.assert_array_equal(small, np.arange(300, dtype="float32"))
    np.testing.assert_array_equal(wrapped, np.arange(-3, 300, 2, dtype="int8"))  # wraps as NumPy
    assert small.dtype == np.float32 and wrapped.dtype == np.int8
    assert G.pp(T.arange(n)) == "arange(TensorConstant{0}, n, TensorConstant{1})"
    assert str(T.arange(n).owner.op) == "ARange{dtype='int64'}"


@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_bounds_raise_value_errors(backend):
    a, b, h = T.dscalars("a", "b", "h")
    f = G.function([a, b, h], T.arange(a, b, h), backend=backend)
    with pytest.raises(ValueError, match="ARange.*the step must not be zero"):
        f(0.0, 5.0, 0.0)
    for stop in (np.inf, np.nan):
        with pytest.raises(ValueError, match="cannot compute the length of a range from 0 to"):
            f(0.0, stop, 1.0)
    n = T.lscalar("n")
    g = G.function([n], T.arange(0, 5, n), backend=backend)
    with pytest.raises(ValueError, match="the step must not be zero"):
        g(0)
    np.testing.assert_array_equal(g(-1), [])
    with pytest.raises(TypeError, match="stop of arange must be an integer or float scalar"):
        T.arange(T.dvector("v"))


def test_the_range_of_a_shape_and_of_a_computed_bound_compile_to_c():
    y = T.dvector("y")
    f = G.function([y], T.arange(y.shape[0]) * y, backend="c")
    assert f.backend == "c"
    np.testing.assert_array_equal(f(np.full(4, 2.0)), [0.0, 2.0, 4.0, 6.0])
    # the length needs y's values: argmax runs with the shape code
    g = G.function([y], T.arange(T.argmax(y)) * 3, backend="c")
    assert g.backend == "c" and g.fallback_reason is None
    np.testing.assert_array_equal(g(np.array([0.0, 3.0, 9.0, 1.0])), [0, 3])
    np.testing.assert_array_equal(g(np.array([5.0, 3.0])), [])


def test_gradient_flows_to_start_and_step():
    a, h = T.dscalars("a", "h")
    cost = (T.arange(a, 3.0, h) ** 2).sum()
    ga, gh = G.function([a, h], T.grad(cost, [a, h]))(0.5, 0.7)
    values = np.arange(0.5, 3.0, 0.7)  # 0.5, 1.2, 1.9, 2.6: out[i] = a + i h
    np.testing.assert_allclose(ga, np.sum(2 * values), rtol=1e-12)
    np.testing.assert_allclose(gh, np.sum(2 * values * np.arange(4)), rtol=1e-12)
    n = T.lscalar("n")  # as for any integer input: a zero gradient
    gn = G.function([n, a], T.grad(T.arange(n).sum() * a, n), on_unused_input="ignore")
    assert gn(4, 1.0) == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_int64_extremes_follow_numpys_lengths_and_refusals(backend):
    """NumPy rounds (stop - start) / step to a double before its ceil, so that a range of huge
    bounds can be a value shorter than the exact count; both backends give NumPy's. Where NumPy
    refuses the length (beyond the int64 range, even negative), they raise ValueError too."""
    a, b, h = T.lscalars("a", "b", "h")
    f = G.function([a, b, h], T.arange(a, b, h), backend=backend)
    big, small = 2 ** 63 - 1, -2 ** 63
    for args in [(small, big, big), (big, small, small), (0, big, 2 ** 62), (big - 1, big, 1),
                 (small, small + 2, 1), (0, 10, small), (5, 0, small), (small, 0, big)]:
        np.testing.assert_array_equal(f(*args), np.arange(*args), err_msg=str(args))
    for args in [(small, big, 1), (small, big, -1)]:
        with pytest.raises(ValueError):
            np.arange(*args)
        with pytest.raises(ValueError, match="is too long"):
            f(*args)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_range_too_big_to_allocate_is_a_memory_error(backend):
    a, b, h = T.dscalars("a", "b", "h")
    f = G.function([a, b, h], T.arange(a, b, h), backend=backend)
    with pytest.raises(MemoryError):
        f(0.0, 1.0, 1e-17)  # 10**17 values


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_refused_uint64_bound_is_shown_as_given(backend):
    """C reads a uint64 above INT64_MAX as INT64_MAX (past any length); its message shows the
    value the caller gave."""
    a, u = T.lscalar("a"), T.scalar("u", dtype="uint64")
    f = G.function([a, u], T.arange(a, u), backend=backend)
    with pytest.raises(ValueError, match="from -3 to 18446744073709551615 by 1 is too long"):
        f(-3, 2 ** 64 - 1)
