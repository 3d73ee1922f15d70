"""Integer powers with negative exponents, on both backends against NumPy.

NumPy raises `ValueError: Integers to negative integer powers are not allowed.` when an integer
power's result is a signed integer and an exponent is negative, whatever the base (1 and -1
included); the C backend computed 0 (1 or -1 for those bases) instead. Both backends must raise
it whenever NumPy does, wherever the power is computed (fused, strided, in parallel parts, in a
0-d function, in a row-fused pass, in the shape code), from any call at once, leaving shared
variables as they were; and compute NumPy's values otherwise."""

from __future__ import annotations

import re

import numpy as np
import pytest

import graphlab_kernel as G
import graphlab_kernel.tensor as T
from graphlab_kernel.tensor.fused import DotMapGemv
from tests.backend.threads import run_in_threads

MESSAGE = "Integers to negative integer powers are not allowed."
BACKENDS = ["c", "numpy"]
DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
SIGNED = ["int8", "int16", "int32", "int64"]
N = 10  # elements of the vectors below


# NumPy's error as both backends report it: the op, then NumPy's message (then, from the NumPy
# backend, the inputs' shapes on the next line)
REFUSED = r"^[A-Z]\w*\{.*\}: " + re.escape(MESSAGE) + "($|\n)"


def _refused():
    return pytest.raises(ValueError, match=REFUSED)


def _compile(inputs, outputs, backend, **kwargs):
    f = G.function(inputs, outputs, backend=backend, **kwargs)
    assert f.backend == backend
    return f


def _bases(dtype: str) -> np.ndarray:
    """N bases: 0, 1, small ones, the extremes, and for signed dtypes -1 and other negatives."""
    if dtype == "bool":
        return np.array([False, True] * (N // 2))
    info = np.iinfo(dtype)
    values = [0, 1, 2, 3, 7, info.max] + ([-1, -2, -5, info.min] if dtype in SIGNED else
                                          [4, 5, 6, 9])
    return np.array(values, dtype)


def _exponents(dtype: str) -> np.ndarray:
    """N non-negative exponents, up to wrapping ones (63)."""
    if dtype == "bool":
        return np.array([False, True] * (N // 2))
    return np.array([0, 1, 2, 3, 4, 5, 7, 1, 2, 63], dtype)


def _numpy_raises(*values) -> bool:
    try:
        np.power(*values)
    except ValueError as exc:
        assert str(exc) == MESSAGE
        return True
    return False


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("base", DTYPES)
def test_each_dtype_pair_raises_exactly_where_numpy_does(backend, base):
    """x ** e for x of `base` and e of every dtype: NumPy's values (and dtypes) for non-negative
    exponents; for a negative exponent (signed e), NumPy's error exactly when NumPy raises (a
    signed result; uint64 ** int promotes to float64, which takes any exponent), else its values.
    The negative exponent goes where the base is 1, then where it is 2."""
    x = T.vector("x", dtype=base)
    exponent_dtypes = DTYPES
    es = [T.vector(f"e_{d}", dtype=d) for d in exponent_dtypes]
    f = _compile([x, *es], [x ** e for e in es], backend)
    xv = _bases(base)
    evs = [_exponents(d) for d in exponent_dtypes]
    for got, ev in zip(f(xv, *evs), evs):
        with np.errstate(over="ignore"):
            want = np.power(xv, ev)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    for k, d in enumerate(exponent_dtypes):
        if d not in SIGNED:
            continue
        for where in (1, 2):  # the bases 1 and 2
            negative = [ev.copy() for ev in evs]
            negative[k][where] = -1
            raises = _numpy_raises(xv, negative[k])
            # NumPy's rule: a signed result refuses a negative exponent
            assert raises == (np.result_type(base, d).name in SIGNED)
            if raises:
                with _refused() as error:
                    f(xv, *negative)
                # the op first, as in the backends' other errors
                assert str(error.value).splitlines()[0] == f"Elemwise{{pow,no_inplace}}: {MESSAGE}"
            else:
                got = f(xv, *negative)[k]
                np.testing.assert_array_equal(got, np.power(xv, negative[k]))
                assert got[where] == 1.0 / xv[where]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_fused_power_raises(backend):
    """(x + 1) ** (e - 3): the power inside a Composite loop, with the exponent computed."""
    x, e = T.ivector("x"), T.ivector("e")
    f = _compile([x, e], (x + 1) ** (e - 3), backend)
    if backend == "c":
        (node,) = f.maker.fgraph.toposort()
        assert "Composite" in str(node.op) and "**" in str(node.op)
    xv = np.arange(-4, 6, dtype="int32")
    ev = np.arange(3, 13, dtype="int32")
    np.testing.assert_array_equal(f(xv, ev), np.power(xv + 1, ev - 3))
    for where in (0, 5, 9):
        bad = ev.copy()
        bad[where] = 2
        assert _numpy_raises(xv + 1, bad - 3)
        with _refused():
            f(xv, bad)
    np.testing.assert_array_equal(f(xv, ev), np.power(xv + 1, ev - 3))  # and works again


def _strided_case(case: str):
    """(base, the exponents' array, the view of it that is the exponent): 2-d and 3-d views,
    transposed, reversed, sliced, in Fortran order."""
    rng = np.random.default_rng(7)
    base = rng.integers(-4, 5, (6, 40)).astype("int16")
    source = rng.integers(0, 5, (40, 6)).astype("int8")
    big = rng.integers(-3, 4, (5, 6, 7)).astype("int16")
    return {
        "transposed": (base, source, lambda a: a.T),
        "reversed": (base[::-1, ::-2], source, lambda a: a.T[::-1, ::-2]),
        "3d-fortran": (np.asfortranarray(big), rng.integers(0, 4, (7, 6, 5)).astype("int8"),
                       lambda a: a.transpose(2, 1, 0)),
        "3d-sliced": (big[:, ::2, 1:], rng.integers(0, 4, (5, 8, 12)).astype("int8"),
                      lambda a: a[:, 1::3, ::2]),
    }[case]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", ["transposed", "reversed", "3d-fortran", "3d-sliced"])
def test_strided_loops_raise(backend, case):
    base, source, view = _strided_case(case)
    exponent = view(source)
    assert not exponent.flags.c_contiguous and exponent.shape == base.shape
    r = base.ndim
    x = T.TensorType("int16", (False,) * r)("x")
    e = T.TensorType("int8", (False,) * r)("e")
    f = _compile([x, e], x ** e, backend)
    want = np.power(base, exponent)
    assert want.dtype == np.int16
    np.testing.assert_array_equal(f(base, exponent), want)
    for index in (0, exponent.size // 2, exponent.size - 1):  # first, middle, last element
        bad = view(source.copy())  # a view of the same layout
        bad[np.unravel_index(index, bad.shape)] = -1
        assert _numpy_raises(base, bad)
        with _refused():
            f(base, bad)


@pytest.mark.parametrize("backend", BACKENDS)
def test_broadcast_exponents_raise(backend):
    """A row of exponents against a matrix (one exponent per column), a column against its
    transpose (one exponent per row), and a 0-d exponent."""
    x, row, col, s = T.lmatrix("x"), T.lrow("row"), T.lcol("col"), T.lscalar("s")
    f = _compile([x, row, col, s], [x ** row, x.T ** col, x ** s], backend)
    xv = np.arange(-6, 6).reshape(3, 4)
    rv, cv, sv = np.array([[0, 1, 2, 3]]), np.array([[3], [2], [1], [0]]), np.int64(2)
    got = f(xv, rv, cv, sv)
    for g, w in zip(got, [xv ** rv, xv.T ** cv, xv ** sv]):
        np.testing.assert_array_equal(g, w)
    with _refused():
        f(xv, np.array([[0, 1, -2, 3]]), cv, sv)
    with _refused():
        f(xv, rv, np.array([[3], [2], [1], [-1]]), sv)
    with _refused():
        f(xv, rv, cv, np.int64(-1))
    empty = np.zeros((0, 4), "int64")  # no element computed: nothing to refuse, as NumPy
    assert not _numpy_raises(empty, np.array([[0, -1, 2, 3]]))
    assert not _numpy_raises(empty, np.int64(-1))
    got = f(empty, -rv, -cv, np.int64(-1))
    assert [g.shape for g in got] == [(0, 4), (4, 0), (0, 4)]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("layout", ["flat", "strided"])
def test_large_arrays_in_parallel_parts_raise(backend, layout):
    """10^6 elements: the loop runs in parts on the thread pool; a negative exponent in the
    first part, the last, or a middle one must fail the call."""
    rng = np.random.default_rng(3)
    if layout == "flat":
        x, e = T.lvector("x"), T.lvector("e")
        base, source = rng.integers(-9, 10, 10**6), rng.integers(0, 6, 10**6)

        def view(a):
            return a
    else:
        x, e = T.lmatrix("x"), T.lmatrix("e")
        base, source = rng.integers(-9, 10, (1000, 1000)).T, rng.integers(0, 6, (1000, 1000))

        def view(a):
            return a[:, ::-1]
    f = _compile([x, e], x ** e + 1, backend)
    exponent = view(source)
    np.testing.assert_array_equal(f(base, exponent), np.power(base, exponent) + 1)
    for index in (0, 3 * 10**5 + 7, 10**6 - 1):
        bad = view(source.copy())
        bad[np.unravel_index(index, bad.shape)] = -1
        assert _numpy_raises(base, bad)
        with _refused():
            f(base, bad)
    np.testing.assert_array_equal(f(base, exponent), np.power(base, exponent) + 1)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", ["int64", "int8"])
def test_0d_functions_raise(backend, dtype):
    """All-0-d graphs: int64 ones are called by value (gl_scalar), others through gl_call."""
    x, e = T.scalar("x", dtype=dtype), T.scalar("e", dtype=dtype)
    f = _compile([x, e], x ** e, backend)
    kind = int if dtype == "int64" else np.dtype(dtype).type
    assert f(kind(3), kind(4)) == 81 and f(kind(3), kind(4)).dtype == dtype
    for base in (2, 1, -1, 0):
        assert _numpy_raises(np.array(base, dtype), np.array(-1, dtype))
        with _refused():
            f(kind(base), kind(-1))
        with _refused():
            f(np.array(base, dtype), np.array(-3, dtype))
    assert f(kind(-1), kind(3)) == -1


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_power_computed_from_shapes_raises(backend):
    """x.shape[0] ** -1 is computed with the shapes (before any output is allocated)."""
    x = T.dvector("x")
    f = _compile([x], T.alloc(1.5, x.shape[0] ** np.int64(-1) + 2), backend)
    for n in (1, 3):
        assert _numpy_raises(np.int64(n), np.int64(-1))
        with _refused():
            f(np.ones(n))
    g = _compile([x], T.alloc(1.5, x.shape[0] ** np.int64(3) + 2), backend)
    np.testing.assert_array_equal(g(np.ones(3)), np.full(29, 1.5))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("layout", ["contiguous", "strided"])
@pytest.mark.parametrize("power_in", ["program", "extra"])
def test_a_power_in_a_row_fused_pass_raises(backend, layout, power_in):
    """A linear model's step, w - 0.1 * X.T.g with g computed from d = X.w: one DotMapGemv,
    with the power in its main program (g = sigmoid(d) * k ** e) or in an extra per-row output
    (d * k ** e, next to g = sigmoid(d) - 0.5); rows read by its vectorized loop when k and e
    are contiguous, by a plain loop otherwise."""
    X, w, k, e = T.dmatrix("X"), T.dvector("w"), T.lvector("k"), T.lvector("e")
    d = T.dot(X, w)
    if power_in == "program":
        g = T.sigmoid(d) * k ** e
        outputs = [w - 0.1 * T.dot(X.T, g), g]
    else:
        g = T.sigmoid(d) - 0.5
        outputs = [w - 0.1 * T.dot(X.T, g), d * k ** e]
    f = _compile([X, w, k, e], outputs, backend)
    if backend == "c":
        (node,) = f.maker.fgraph.toposort()
        assert isinstance(node.op, DotMapGemv) and "**" in str(node.op)
        assert (node.op.extras != ()) == (power_in == "extra")
    rng = np.random.default_rng(5)
    Xv, wv = rng.standard_normal((300, 7)), rng.standard_normal(7)
    k_source, e_source = rng.integers(-3, 4, 600), rng.integers(0, 4, 600)

    def view(a):
        return a[:300] if layout == "contiguous" else a[::-2]
    kv, ev = view(k_source), view(e_source)
    dv = Xv @ wv
    if power_in == "program":
        want_g = 1 / (1 + np.exp(-dv)) * kv ** ev
        want = [wv - 0.1 * Xv.T @ want_g, want_g]
    else:
        want_g = 1 / (1 + np.exp(-dv)) - 0.5
        want = [wv - 0.1 * Xv.T @ want_g, dv * kv ** ev]
    for got, expected in zip(f(Xv, wv, kv, ev), want):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    for index in (0, 150, 299):
        bad = view(e_source.copy())
        bad[index] = -2
        assert _numpy_raises(kv, bad)
        with _refused():
            f(Xv, wv, kv, bad)


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_calls_each_see_their_own_error(backend):
    """Threads calling one compiled function at once, half of them with a negative exponent
    (in a different part each time): those, and only those, fail; the others get their
    values. (A flag shared by the calls would fail the good calls, or pass the bad ones.)"""
    x, e = T.lvector("x"), T.lvector("e")
    f = _compile([x, e], x ** e, backend)
    rng = np.random.default_rng(11)
    n = 300_000
    base, good = rng.integers(-5, 6, n), rng.integers(0, 5, n)
    want = np.power(base, good)
    results = {}

    def work(t: int) -> None:
        outcomes = []
        for call in range(20):
            if (t + call) % 2:
                bad = good.copy()
                bad[(t * 7919 + call * 104729) % n] = -1
                try:
                    f(base, bad)
                    outcomes.append("no error")
                except ValueError as exc:
                    outcomes.append("refused" if re.search(REFUSED, str(exc)) else str(exc))
            else:
                outcomes.append("ok" if np.array_equal(f(base, good), want) else "wrong values")
        results[t] = outcomes

    assert run_in_threads(work, [(t,) for t in range(6)])
    for t, outcomes in results.items():
        assert outcomes == ["refused" if (t + c) % 2 else "ok" for c in range(20)], t


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_failing_update_leaves_the_shared_variable(backend):
    """s <- s ** e: the update the C code would compute in s's own array (in place); a call
    that fails must leave s's values, through the direct call and the general path."""
    s = G.shared(np.arange(-3, 7, dtype="int64"), name="s")
    e = T.lvector("e")
    f = _compile([e], s.sum(), backend, updates=[(s, s ** e)])
    before = s.get_value()
    ev = np.array([2, 1, 0, 3, 1, 2, 1, 0, 1, 2])
    assert f(ev) == before.sum()
    np.testing.assert_array_equal(s.get_value(), before ** ev)
    for _ in range(2):  # the direct call takes these calls (it would pass s's array as buffer)
        current = s.get_value()
        array = s.get_value(borrow=True)
        for where in (0, 9):
            bad = np.ones(10, "int64")
            bad[where] = -1
            with _refused():
                f(bad)
            np.testing.assert_array_equal(s.get_value(), current)
            np.testing.assert_array_equal(array, current)  # not written in place either
        f(np.ones(10, "int64"))
        np.testing.assert_array_equal(s.get_value(), current)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_failing_output_leaves_every_update(backend):
    """An output x ** e that fails, next to updates the C code writes in place (s + 1, and a
    Gemm on a float matrix): no shared value changes."""
    s = G.shared(np.arange(5, dtype="int64"), name="s")
    W = G.shared(np.eye(3), name="W")
    x, e, a = T.lvector("x"), T.lvector("e"), T.dmatrix("a")
    f = _compile([x, e, a], x ** e, backend,
                 updates=[(s, s + 1), (W, W - 0.1 * T.dot(a.T, a))])
    av = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(f(np.arange(5), np.arange(5), av), np.arange(5) ** np.arange(5))
    for _ in range(2):
        s_before, W_before = s.get_value(), W.get_value()
        s_array, W_array = s.get_value(borrow=True), W.get_value(borrow=True)
        with _refused():
            f(np.arange(5), np.array([0, 1, 2, 3, -1]), av)
        np.testing.assert_array_equal(s.get_value(), s_before)
        np.testing.assert_array_equal(W.get_value(), W_before)
        np.testing.assert_array_equal(s_array, s_before)
        np.testing.assert_array_equal(W_array, W_before)
        f(np.arange(5), np.arange(5), av)
        if backend == "c":  # these updates are still written in place
            assert s.get_value(borrow=True) is s_array and W.get_value(borrow=True) is W_array
        np.testing.assert_array_equal(s.get_value(), s_before + 1)
        np.testing.assert_allclose(W.get_value(), W_before - 0.1 * av.T @ av, rtol=1e-15)


def test_only_loops_that_numpy_may_refuse_are_checked():
    """The check is generated for signed integer powers with signed exponents only: float
    powers, unsigned ones, unsigned or bool exponents and other integer loops compile as before."""
    def source(x_dtype, e_dtype, expression=lambda x, e: x ** e):
        x, e = T.vector("x", dtype=x_dtype), T.vector("e", dtype=e_dtype)
        f = _compile([x, e], expression(x, e), "c")
        return f.c_source
    for x_dtype, e_dtype in [("float64", "int64"), ("uint8", "uint16"), ("int16", "uint8"),
                             ("int64", "bool"), ("uint64", "int64"), ("float32", "float32")]:
        assert "gl_bad" not in source(x_dtype, e_dtype), (x_dtype, e_dtype)
    assert "gl_bad" not in source("int64", "int64", lambda x, e: x * e + x // e)
    for x_dtype, e_dtype in [("int64", "int64"), ("uint8", "int8"), ("bool", "int32")]:
        assert "gl_bad |= " in source(x_dtype, e_dtype), (x_dtype, e_dtype)
