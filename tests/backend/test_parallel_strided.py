"""Large broadcast / strided elementwise loops (rank >= 2) run in parts of whole rows, and
Gemm/Gemv's beta * z pass: values against NumPy, every row computed once, and the same results
bit for bit with one thread or two."""

from __future__ import annotations

import hashlib
import textwrap

import numpy as np
import pytest

import graphlab_kernel as G
import graphlab_kernel.tensor as T
from graphlab_kernel.tensor.blas import Gemm, Gemv, gemm, gemv
from graphlab_kernel.tensor.elemwise import Elemwise
from tests.backend.threads import run_with_threads

# gl_parts: one part per 65536 element operations, at most 16. The large cases below have well
# over 2 * 65536 element operations, so they are cut into several parts.


def _strided_function(inputs, output):
    f = G.function(inputs, output)
    assert f.backend == "c"
    nodes = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Elemwise)]
    assert any(n.outputs[0].ndim >= 2 for n in nodes)
    assert "gl_st_task_" in f.c_source  # the rows-in-parts task exists for this node
    return f


_cache: dict = {}


def _bias_tanh():
    """tanh(x * 2 + b), b broadcast along the rows (the MLP's hidden layer)."""
    if "bias" not in _cache:
        x, b = T.dmatrix("x"), T.dvector("b")
        _cache["bias"] = _strided_function([x, b], [x * 2.0 + b, T.tanh(x + b)])
    return _cache["bias"]


def _column():
    """x * c - c, c of shape (n, 1): one value per row (the row helper takes it by value)."""
    if "column" not in _cache:
        x, c = T.dmatrix("x"), T.dcol("c")
        _cache["column"] = _strided_function([x, c], x * c - c)
    return _cache["column"]


def _three_d():
    """x * y + z over 3-d arrays, y of shape (b, c) and z of shape (a, 1, c) broadcast."""
    if "3d" not in _cache:
        x, y = T.dtensor3("x"), T.dmatrix("y")
        z = T.TensorType("float64", (False, True, False))("z")
        _cache["3d"] = _strided_function([x, y, z], x * y + z)
    return _cache["3d"]


ROWS_COLS = [
    (1001, 333),    # 1001 rows into 16 parts: uneven
    (17, 20011),    # 17 rows, 16 parts: one part gets two rows
    (5, 100003),    # fewer rows than gl_parts would give: one row per part
    (3, 65537),     # 3 rows
    (1, 300007),    # a single row: one part
    (0, 5000),      # no rows
    (5000, 0),      # empty rows
    (7, 9),         # small: one part, no thread pool
]


def _layouts(rng, shape):
    """The same values (want) in C order, Fortran order, transposed and reversed views."""
    x = rng.standard_normal(shape)
    yield "c", x, x
    yield "fortran", np.asfortranarray(x), x
    yield "transposed", np.ascontiguousarray(x.T).T, x
    rev = np.ascontiguousarray(x[::-1, ::-1])
    yield "negative", rev[::-1, ::-1], x
    if shape[1]:
        wide = np.zeros((shape[0], shape[1] * 2))
        wide[:, ::2] = x
        yield "every other column", wide[:, ::2], x


@pytest.mark.parametrize("shape", ROWS_COLS)
def test_row_broadcast_bias(shape):
    f = _bias_tanh()
    rng = np.random.default_rng(shape[0] * 7 + shape[1])
    b = rng.standard_normal(shape[1])
    for name, x, want in _layouts(rng, shape):
        affine, hidden = f(x, b)
        # + and * are exact: equal to NumPy bit for bit, whichever loop ran
        np.testing.assert_array_equal(affine, want * 2.0 + b, err_msg=name)
        # tanh: libmvec's (row helper) or libm's (scalar loop), within a few ulp
        np.testing.assert_allclose(hidden, np.tanh(want + b), rtol=1e-15, atol=1e-15,
                                   err_msg=name)
    if shape[1]:
        b_rev = np.ascontiguousarray(b[::-1])[::-1]  # a negative-stride bias
        x = rng.standard_normal(shape)
        np.testing.assert_array_equal(f(x, b_rev)[0], x * 2.0 + b)


@pytest.mark.parametrize("shape", ROWS_COLS)
def test_column_broadcast(shape):
    f = _column()
    rng = np.random.default_rng(shape[0] + shape[1])
    c = rng.standard_normal((shape[0], 1))
    for name, x, want in _layouts(rng, shape):
        np.testing.assert_array_equal(f(x, c), want * c - c, err_msg=name)
    if shape[0] > 1:
        c_view = np.repeat(c, 3, axis=0)[::3]  # a strided column
        x = rng.standard_normal(shape)
        np.testing.assert_array_equal(f(x, c_view), x * c - c)


@pytest.mark.parametrize("shape", [(9, 301, 67), (3, 5, 40001), (1, 700, 300), (40, 1, 9001),
                                   (2, 3, 4), (0, 30, 30), (30, 0, 30)])
def test_three_d_broadcast(shape):
    f = _three_d()
    a, b, c = shape
    rng = np.random.default_rng(a * b + c)
    x = rng.standard_normal(shape)
    y = rng.standard_normal((b, c))
    z = rng.standard_normal((a, 1, c))
    want = x * y + z
    np.testing.assert_array_equal(f(x, y, z), want)
    # transposed / reversed views of every operand
    xt = np.ascontiguousarray(x.transpose(2, 1, 0)).transpose(2, 1, 0)
    yr = np.ascontiguousarray(y[::-1])[::-1]
    zf = np.asfortranarray(z)
    np.testing.assert_array_equal(f(xt, yr, zf), want)
    xr = np.ascontiguousarray(x[:, ::-1, ::-1])[:, ::-1, ::-1]
    np.testing.assert_array_equal(f(xr, y, z), want)


def test_inplace_hidden_layer_in_parts():
    """tanh(dot(x, W) + b) writes over the product's buffer in place, rows in parts."""
    x, W, b = T.dmatrix("x"), T.dmatrix("W"), T.dvector("b")
    f = _strided_function([x, W, b], T.tanh(T.dot(x, W) + b) * 3.0)
    rng = np.random.default_rng(3)
    for n in (256, 1001, 1, 0):
        X, Wv, bv = rng.standard_normal((n, 300)), rng.standard_normal((300, 517)) * 0.1, \
            rng.standard_normal(517)
        np.testing.assert_allclose(f(X, Wv, bv), np.tanh(X @ Wv + bv) * 3.0, rtol=1e-12,
                                   atol=1e-13)


def test_vector_outputs_have_no_row_task():
    """Rank-1 outputs have no outer rows: no task is generated for them (compact code); their
    strided loop still computes every element."""
    x, b = T.dvector("x"), T.dvector("b")
    f = G.function([x, b], x * 2.0 - b)
    assert f.backend == "c" and "gl_st_task_" not in f.c_source
    X = np.random.default_rng(0).standard_normal(600002)
    xv, bv = X[::-1][:300001], X[::2]
    np.testing.assert_array_equal(f(xv, bv), xv * 2.0 - bv)


# --- Gemm / Gemv: beta * z + alpha * dot(a, b) ----------------------------------------------


def _scaled_product(op, dtype, z_broadcastable=None):
    """The compiled `op(z, al, a, b, be)` (gemm: b a matrix; gemv: b a vector), as one node;
    z's type broadcasts along the axes `z_broadcastable` says (none by default)."""
    key = (op, dtype, z_broadcastable)
    if key not in _cache:
        vector, matrix = T.TensorType(dtype, (False,)), T.TensorType(dtype, (False, False))
        rank = 2 if op is gemm else 1
        z = T.TensorType(dtype, z_broadcastable or (False,) * rank)("z")
        b = matrix("b") if op is gemm else vector("b")
        a, al, be = matrix("a"), T.TensorType(dtype, ())("al"), T.TensorType(dtype, ())("be")
        f = G.function([z, al, a, b, be], op(z, al, a, b, be))
        assert f.backend == "c"
        assert [type(n.op) for n in f.maker.fgraph.toposort()] == [Gemm if op is gemm else Gemv]
        _cache[key] = f
    return _cache[key]


def _z_layouts(rng, m, n, dtype):
    """(name, z's type's broadcastable axes, z passed, z's values broadcast to (m, n))."""
    z = rng.standard_normal((m, n)).astype(dtype)
    yield "contiguous", None, z, z
    yield "transposed", None, np.ascontiguousarray(z.T).T, z
    yield "negative", None, np.ascontiguousarray(z[::-1])[::-1], z
    row = rng.standard_normal((1, n)).astype(dtype)
    yield "row broadcast", (True, False), row, np.broadcast_to(row, (m, n))
    col = rng.standard_normal((m, 1)).astype(dtype)
    yield "column broadcast", (False, True), col, np.broadcast_to(col, (m, n))
    one = rng.standard_normal((1, 1)).astype(dtype)
    yield "single", (True, True), one, np.broadcast_to(one, (m, n))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("mkn", [(512, 256, 512), (517, 33, 263), (3, 4, 5), (1, 7, 300),
                                 (300, 7, 1), (0, 3, 4), (4, 3, 0)])
@pytest.mark.parametrize("beta", [0.0, 1.0, -0.375])
def test_gemm_against_numpy(dtype, mkn, beta):
    m, k, n = mkn
    rng = np.random.default_rng(m + k + n)
    A, B = (rng.standard_normal(s).astype(dtype) for s in ((m, k), (k, n)))
    al, be = np.asarray(0.5, dtype), np.asarray(beta, dtype)
    zero = np.asarray(0, dtype)
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == "float64" else dict(rtol=2e-5, atol=2e-5)
    for name, pattern, z, zb in _z_layouts(rng, m, n, dtype):
        f = _scaled_product(gemm, dtype, pattern)
        got = f(z, al, A, B, be)
        assert got.shape == (m, n) and got.dtype == dtype
        np.testing.assert_allclose(got, be * zb + al * (A @ B), err_msg=name, **tol)
        # alpha = 0: the output is exactly beta * z (the scaling pass alone, no rounding slack)
        np.testing.assert_array_equal(f(z, zero, A, B, be), be * zb + zero, err_msg=name)


def test_gemm_z_of_one_row_broadcasts_only_if_its_type_says_so():
    """As for Elemwise (which Gemm replaces): a matrix-typed z of one row is refused, in C and
    in NumPy; a row-typed one is stretched over the product's rows."""
    A, B = np.ones((3, 2)), np.ones((2, 4))
    one, al = np.asarray(1.0), np.asarray(1.0)
    z, al_, be_, a, b = T.dmatrix("z"), T.dscalar("al"), T.dscalar("be"), T.dmatrix("a"), \
        T.dmatrix("b")
    for backend in ("c", "numpy"):
        f = G.function([z, al_, a, b, be_], gemm(z, al_, a, b, be_), backend=backend)
        with pytest.raises(ValueError, match=r"z has shape \(1, 4\) but dot\(a, b\) has \(3, 4\)"):
            f(np.ones((1, 4)), al, A, B, one)
    np.testing.assert_array_equal(_scaled_product(gemm, "float64", (True, False))(
        np.full((1, 4), 5.0), al, A, B, one), np.full((3, 4), 7.0))


def test_gemm_beta_zero_keeps_numpys_nan():
    """beta * z with beta = 0 is NaN where z is NaN or infinite, as NumPy's reference computes
    it (the contiguous fast path multiplies too; it does not just clear the output)."""
    f = _scaled_product(gemm, "float64")
    z = np.ones((300, 400))
    z[3, 5], z[7, 9] = np.nan, np.inf
    A, B = np.ones((300, 2)), np.ones((2, 400))
    got = f(z, np.asarray(1.0), A, B, np.asarray(0.0))
    assert np.isnan(got[3, 5]) and np.isnan(got[7, 9])
    assert np.count_nonzero(np.isnan(got)) == 2 and np.all(got[~np.isnan(got)] == 2.0)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("mk", [(1000, 300), (70001, 3), (5, 4), (1, 9), (0, 3), (4, 0)])
@pytest.mark.parametrize("beta", [0.0, 1.0, 2.5])
def test_gemv_against_numpy(dtype, mk, beta):
    m, k = mk
    rng = np.random.default_rng(m * 3 + k)
    A, x = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal(k).astype(dtype)
    al, be, zero = np.asarray(-1.5, dtype), np.asarray(beta, dtype), np.asarray(0, dtype)
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == "float64" else dict(rtol=2e-5, atol=2e-5)
    z = rng.standard_normal(m).astype(dtype)
    one = rng.standard_normal(1).astype(dtype)
    for name, pattern, zv, zb in [("contiguous", None, z, z),
                                  ("negative", None, np.ascontiguousarray(z[::-1])[::-1], z),
                                  ("strided", None, np.repeat(z, 2)[::2], z),
                                  ("single", (True,), one, np.broadcast_to(one, (m,)))]:
        f = _scaled_product(gemv, dtype, pattern)
        np.testing.assert_allclose(f(zv, al, A, x, be), be * zb + al * (A @ x), err_msg=name,
                                   **tol)
        np.testing.assert_array_equal(f(zv, zero, A, x, be), be * zb + zero, err_msg=name)


def test_gemm_from_the_optimizer_in_a_training_update():
    """W - 0.01 * dot(x.T, g): the optimizer makes it a Gemm whose z is W (contiguous, the fast
    path), or a transposed W (the general loop)."""
    x, g, W = T.dmatrix("x"), T.dmatrix("g"), T.dmatrix("W")
    f = G.function([x, g, W], W - 0.01 * T.dot(x.T, g))
    assert f.backend == "c"
    assert any(isinstance(n.op, Gemm) for n in f.maker.fgraph.toposort())
    rng = np.random.default_rng(11)
    X, Gv, Wv = rng.standard_normal((256, 512)), rng.standard_normal((256, 300)), \
        rng.standard_normal((512, 300))
    want = Wv - 0.01 * (X.T @ Gv)
    np.testing.assert_allclose(f(X, Gv, Wv), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(f(X, Gv, np.asfortranarray(Wv)), want, rtol=1e-12, atol=1e-12)


# --- one thread or two: the same bits ---------------------------------------------------------

SCRIPT = textwrap.dedent("""
    import numpy as np
    import graphlab_kernel as G
    import graphlab_kernel.tensor as T
    from graphlab_kernel.tensor.blas import gemm
    rng = np.random.default_rng(21)
    x, b, c = T.dmatrix("x"), T.dvector("b"), T.dcol("c")
    x3, y3 = T.dtensor3("x3"), T.dmatrix("y3")
    W, z = T.dmatrix("W"), T.dmatrix("z")
    al, be = T.dscalar("al"), T.dscalar("be")
    f = G.function([x, b, c, x3, y3, W], [T.tanh(x + b), T.exp(x * c) - c, T.sin(x3 * y3),
                                          T.tanh(T.dot(x, W) + b)])
    g = G.function([z, al, x, W, be], gemm(z, al, x, W, be))
    X = rng.standard_normal((1001, 333))
    outs = []
    for xv in (X, np.asfortranarray(X), X[::-1, ::-1]):
        outs += f(xv, rng.standard_normal(333), rng.standard_normal((1001, 1)),
                  rng.standard_normal((9, 301, 67)), rng.standard_normal((301, 67)),
                  rng.standard_normal((333, 333)) * 0.1)
    for zv in (rng.standard_normal((1001, 333)), rng.standard_normal((333, 1001)).T):
        outs.append(g(zv, 0.5, X, rng.standard_normal((333, 333)), -0.25))
""")


def test_same_bits_with_one_thread_or_two():
    one, digest_one = run_with_threads(SCRIPT, 1)
    two, digest_two = run_with_threads(SCRIPT, 2)
    assert (one, two) == (1, 2)
    assert digest_one == digest_two
    assert len(digest_one) == len(hashlib.sha256().hexdigest())
