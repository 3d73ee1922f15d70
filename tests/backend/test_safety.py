"""Malformed inputs raise Python exceptions naming the op and the shapes; nothing crashes."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel.tensor as T
from graphlab_kernel import function
from tests.backend.threads import run_in_threads


@pytest.fixture(scope="module")
def fns():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    v = T.dvector("v")
    return {
        "add": function([x, y], x + y, backend="c"),
        "fused": function([x, y], T.exp(x) * y + 1, backend="c"),
        "dot": function([x, y], T.dot(x, y), backend="c"),
        "gemv": function([x, v], T.dot(x, v) * 2 + v, backend="c"),
        "max": function([v], T.max(v), backend="c"),
        "sum": function([x], x.sum(axis=0), backend="c"),
    }


def test_all_compiled_to_c(fns):
    assert {f.backend for f in fns.values()} == {"c"}


def test_broadcast_mismatch_names_op_and_shapes(fns):
    with pytest.raises(ValueError, match=r"Elemwise\{.*\(2, 3\).*\(4, 3\)"):
        fns["add"](np.ones((2, 3)), np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"do not broadcast"):
        fns["fused"](np.ones((2, 3)), np.ones((2, 4)))


def test_dot_mismatch_names_op_and_shapes(fns):
    with pytest.raises(ValueError, match=r"Dot: shapes \(2, 3\) and \(4, 5\) are not aligned"):
        fns["dot"](np.ones((2, 3)), np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"Gemv|Dot|Elemwise"):
        fns["gemv"](np.ones((2, 3)), np.ones(4))


def test_empty_max_raises(fns):
    with pytest.raises(ValueError, match="empty"):
        fns["max"](np.ones(0))


def test_wrong_dtype_and_rank_rejected_before_c(fns):
    with pytest.raises(TypeError):
        fns["add"](np.full((2, 3), 1j), np.ones((2, 3)))
    with pytest.raises(TypeError):
        fns["add"](np.ones(3), np.ones((2, 3)))
    with pytest.raises(TypeError):
        fns["add"]("abc", np.ones((2, 3)))
    with pytest.raises(TypeError):
        fns["add"](np.ones((2, 3)))


def test_zero_size_and_odd_layouts(fns):
    for a in (np.ones((0, 3)), np.ones((3, 0)), np.ones((0, 0))):
        np.testing.assert_array_equal(fns["add"](a, a), a + a)
        np.testing.assert_array_equal(fns["sum"](a), a.sum(axis=0))
    np.testing.assert_array_equal(fns["dot"](np.ones((2, 0)), np.ones((0, 3))), np.zeros((2, 3)))
    base = np.arange(60.0).reshape(6, 10)
    views = [base[::2, ::3], base[::-1, ::-2], base.T[:4, :5], np.asfortranarray(base)[:, 1:7],
             np.broadcast_to(np.arange(3.0), (5, 3)), base[:, 3:4], base[2:3, :]]
    for a in views:
        b = np.ones(a.shape)
        np.testing.assert_allclose(fns["fused"](a, b), np.exp(a) * b + 1)
        np.testing.assert_allclose(fns["sum"](a), a.sum(axis=0))
        np.testing.assert_allclose(fns["dot"](a, a.T.copy()), a @ a.T)
    unaligned = np.frombuffer(bytearray(8 * 1001 + 1), dtype=np.float64, offset=1, count=1000)
    assert not unaligned.flags.aligned
    np.testing.assert_array_equal(fns["max"](unaligned), 0.0)
    u2 = unaligned.reshape(40, 25)
    np.testing.assert_array_equal(fns["fused"](u2, u2), np.exp(u2) * u2 + 1)
    odd = np.lib.stride_tricks.as_strided(np.zeros(200), shape=(10, 10), strides=(44, 4))
    np.testing.assert_array_equal(fns["add"](odd, odd), odd + odd)


def test_huge_broadcast_raises_memory_error():
    x, y = T.dcol("x"), T.drow("y")
    f = function([x, y], (x + y).sum(), backend="c")
    big = np.broadcast_to(np.zeros((1, 1)), (2**40, 1))
    with pytest.raises((MemoryError, ValueError)):
        f(big, np.broadcast_to(np.zeros((1, 1)), (1, 2**40)))


def test_nan_and_inf_behave_as_in_numpy():
    x = T.dvector("x")
    outs = [T.exp(x), T.log(x), T.maximum(x, 0), T.minimum(x, 0), T.sgn(x), x / 0.0,
            T.max(x), T.sigmoid(x), T.softplus(x), x % 2.0, x // 2.0, T.sqrt(x)]
    f_c = function([x], outs, backend="c")
    f_np = function([x], outs, backend="numpy")
    a = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.5, -2.5, 1e308, -1e-310])
    for got, expected in zip(f_c(a), f_np(a)):
        np.testing.assert_allclose(got, expected, rtol=1e-12, equal_nan=True)
        np.testing.assert_array_equal(np.signbit(got[np.isfinite(got) & (got == 0)]),
                                      np.signbit(expected[np.isfinite(expected) & (expected == 0)]))


def test_integer_division_by_zero_does_not_trap():
    x, y = T.lvector("x"), T.lvector("y")
    f = function([x, y], [x // y, x % y], backend="c")
    a = np.array([5, -5, np.iinfo(np.int64).min, 7], dtype=np.int64)
    b = np.array([0, 0, -1, 2], dtype=np.int64)
    q, r = f(a, b)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(q, a // b)
        np.testing.assert_array_equal(r, a % b)


def test_outputs_are_fresh_and_inputs_untouched():
    x = T.dvector("x")
    f = function([x], [x, x.T, x * 2, x * 2], backend="c")
    a = np.arange(4.0)
    out = f(a)
    assert all(o.flags.owndata for o in out)
    assert not np.shares_memory(out[0], a) and not np.shares_memory(out[2], out[3])
    out[0][0] = 99
    np.testing.assert_array_equal(a, np.arange(4.0))


def test_inplace_elemwise_chain_gives_numpy_values():
    x, y = T.dvector("x"), T.dvector("y")
    z = T.exp(x) + y
    outs = [(T.tanh(z) * 3 - z) / (1 + T.sqr(z)), z.sum()]
    f_c, f_np = function([x, y], outs, backend="c"), function([x, y], outs, backend="numpy")
    a, b = np.linspace(-1, 1, 7), np.linspace(2, 3, 7)
    for got, expected in zip(f_c(a, b), f_np(a, b)):
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_array_equal(a, np.linspace(-1, 1, 7))


def test_subtensor_views_match_numpy_and_bad_indices_raise():
    x, i, j = T.dmatrix("x"), T.lscalar("i"), T.lscalar("j")
    exprs = [x[1:], x[::-1, ::2], x[-1], x[:, 0], x[i], x[i:j], x[j:i:-1], x[::-2, -3:], x[10:],
             x[:, ::-3], (x[i:] * 2).sum()]
    f_c, f_np = function([x, i, j], exprs, backend="c"), function([x, i, j], exprs, backend="numpy")
    assert f_c.backend == "c"
    a = np.arange(20.0).reshape(4, 5)
    for args in [(a, 1, 3), (a, -2, 0), (np.asfortranarray(a), 0, 100), (a[:, ::-1], -4, -1)]:
        for got, expected in zip(f_c(*args), f_np(*args)):
            assert got.shape == expected.shape
            np.testing.assert_array_equal(got, expected)
    for bad in (4, -5, 2**62):
        with pytest.raises(IndexError, match="out of range"):
            f_c(a, bad, 0)


def test_constant_and_input_outputs_are_fresh_copies():
    x = T.dvector("x")
    big = np.arange(300.0)
    f = function([x], [T.constant(2.0), x, T.constant(big), x[::-1]], backend="c")
    assert f.backend == "c"
    a = np.arange(3.0)
    two, same, const, rev = f(a)
    assert two == 2.0 and two.shape == ()
    np.testing.assert_array_equal(same, a)
    np.testing.assert_array_equal(const, big)
    np.testing.assert_array_equal(rev, a[::-1])
    const[0] = -1
    np.testing.assert_array_equal(f(a)[2], big)


def test_reshape_and_join_check_shapes():
    x, y, v = T.dmatrix("x"), T.dmatrix("y"), T.lvector("v")
    f = function([x, y, v], [x.reshape(v, ndim=2), T.concatenate([x, y])], backend="c")
    assert f.backend == "c"
    a = np.arange(12.0).reshape(4, 3)
    got = f(a[::-1], a, np.array([-1, 6]))
    np.testing.assert_array_equal(got[0], a[::-1].reshape(-1, 6))
    np.testing.assert_array_equal(got[1], np.concatenate([a[::-1], a]))
    with pytest.raises(ValueError, match=r"Reshape\{2\}: cannot reshape an array of shape \(4, 3\) "
                                         r"\(size 12\) into shape \(5, 2\)"):
        f(a, a, np.array([5, 2]))
    with pytest.raises(ValueError, match="length -2"):
        f(a, a, np.array([-2, 6]))
    with pytest.raises(ValueError, match=r"Join\{axis=0\}: input 1 has shape \(4, 5\)"):
        f(a, np.ones((4, 5)), np.array([6, 2]))


def test_concurrent_calls_from_threads_give_their_own_results():
    x, y = T.dscalar("x"), T.dscalar("y")
    v = T.dvector("v")
    scalar = function([x, y], x * y + 1, backend="c")
    vector = function([v], T.exp(v).sum(), backend="c")
    errors = []

    def work(seed):
        rng = np.random.default_rng(seed)
        for _ in range(300):
            a, b = float(rng.standard_normal()), float(rng.standard_normal())
            if scalar(a, b) != a * b + 1:
                errors.append("scalar")
            data = rng.standard_normal(int(rng.integers(1, 2000)))
            if not np.isclose(vector(data), np.exp(data).sum()):
                errors.append("vector")

    assert run_in_threads(work, [(seed,) for seed in range(4)])
    assert not errors


def test_concurrent_failing_calls_report_their_own_shapes(fns):
    """Error messages and reported shapes are kept per thread in the C module."""
    mismatched = []

    def work(rows):
        a, b = np.ones((rows, 3)), np.ones((rows + 1, 3))
        for _ in range(200):
            try:
                fns["add"](a, b)
            except ValueError as exc:
                if f"({rows}, 3)" not in str(exc) or f"({rows + 1}, 3)" not in str(exc):
                    mismatched.append(str(exc))
            else:
                mismatched.append("no error")
            c = np.full((rows, 3), float(rows))
            if not np.array_equal(fns["add"](c, c), 2 * c):  # shapes change from call to call
                mismatched.append("wrong sum")

    assert run_in_threads(work, [(rows,) for rows in (2, 5, 11, 17)])
    assert not mismatched


def test_outputs_follow_input_shapes_from_call_to_call(fns):
    """Outputs are allocated with the previous call's shapes and the C code recomputes into new
    ones when the shapes change; a failing call in between leaves nothing behind."""
    rng = np.random.default_rng(3)
    shapes = [(3, 4), (3, 4), (5, 2), (1, 7), (5, 2), (0, 3), (3, 4)]
    for shape in shapes:
        a, b = rng.standard_normal(shape), rng.standard_normal(shape)
        got = fns["fused"](a, b)
        assert got.shape == shape
        np.testing.assert_allclose(got, np.exp(a) * b + 1, rtol=1e-12)
        np.testing.assert_allclose(fns["sum"](a), a.sum(axis=0), rtol=1e-13)
        with pytest.raises(ValueError, match="do not broadcast"):
            fns["add"](a, np.ones((shape[0], shape[1] + 1)))


def test_dead_intermediates_are_reused_and_inplace_is_honoured():
    x = T.dvector("x")
    out = T.sqrt(T.exp(x) + 1) * 2 - x
    f_c = function([x], out, backend="c", mode="NO_OPT")
    import re
    assert re.search(r"buf_v\d+ = buf_v\d+; buf_v\d+ = 0;", f_c.c_source)  # a buffer handed on
    a = np.linspace(-3, 3, 11)
    np.testing.assert_allclose(f_c(a), np.sqrt(np.exp(a) + 1) * 2 - a)
    np.testing.assert_array_equal(a, np.linspace(-3, 3, 11))


def test_an_intermediate_whose_view_is_an_output_keeps_its_buffer():
    """abs(a) is read by the exp node last, but its transpose is an output, copied out at the
    end: its buffer must not be handed on to the exp node, whose own result (not an output
    itself, only its transpose) could otherwise take it (found by test_random_graphs)."""
    a = T.dmatrix("a")
    magnitude = abs(a)
    f = function([a], [magnitude.T, T.exp(magnitude).T], backend="c")
    value = np.array([[-0.5, 2.0], [3.0, -4.0]])
    transposed, exponential = f(value)
    np.testing.assert_array_equal(transposed, np.abs(value).T)
    np.testing.assert_allclose(exponential, np.exp(np.abs(value)).T)


def test_set_and_inc_subtensor_check_shapes():
    x, r, i = T.dmatrix("x"), T.dvector("r"), T.lscalar("i")
    f = function([x, r, i], [T.set_subtensor(x[:1], r), T.inc_subtensor(x[::-1, i], 2.0)],
                 backend="c")
    assert f.backend == "c"
    a = np.arange(12.0).reshape(3, 4)
    set_, inc = f(a, np.ones(4), -1)
    expected_set, expected_inc = a.copy(), a.copy()
    expected_set[:1] = 1.0
    expected_inc[::-1, -1] += 2.0
    np.testing.assert_array_equal(set_, expected_set)
    np.testing.assert_array_equal(inc, expected_inc)
    np.testing.assert_array_equal(a, np.arange(12.0).reshape(3, 4))
    with pytest.raises(ValueError, match=r"does not broadcast to the region of shape \(1, 4\)"):
        f(a, np.ones(5), 0)
    with pytest.raises(IndexError, match="out of range"):
        f(a, np.ones(4), 9)


def test_graphs_without_a_c_form_run_whole_on_numpy():
    z = T.zvector("z")
    f = function([z], z * 2, backend="c")
    assert f.backend == "numpy" and f.c_source is None
    np.testing.assert_array_equal(f(np.array([1j, 2])), np.array([2j, 4]))
    x = T.dscalar("x")
    y = x
    for _ in range(2500):  # above MAX_GRAPH_SIZE: compiling would cost more than it saves
        y = T.sin(y)
    g = function([x], y, backend="c", mode="NO_OPT")
    assert g.backend == "numpy"


@pytest.mark.parametrize("backend", ["c", "numpy"])
def test_softmax_grad_checks_its_shapes(backend):
    dy, sm = T.dmatrix("dy"), T.dmatrix("sm")
    f = function([dy, sm], T.nnet.softmax_grad(dy, sm), backend=backend)
    assert f.backend == backend
    with pytest.raises(ValueError, match=r"SoftmaxGrad: dy has shape \(2, 3\) but sm has shape "
                                         r"\(2, 4\); they must be equal"):
        f(np.ones((2, 3)), np.ones((2, 4)))
    # and strided views of either give the row-wise values
    a, b = np.arange(24.0).reshape(4, 6)[::2, ::-2], np.linspace(0, 1, 12).reshape(3, 4).T[:2]
    expected = (a - (a * b).sum(axis=-1, keepdims=True)) * b
    np.testing.assert_allclose(f(a, b), expected, rtol=1e-13)


@pytest.mark.parametrize("backend", ["c", "numpy"])
def test_shapes_of_more_elements_than_an_int64_counts_raise_value_errors(backend):
    """As NumPy's "array is too big": a ValueError naming the shape, not a MemoryError (the C
    backend raised MemoryError("Alloc: shape too large"))."""
    v, n = T.dvector("v"), T.lscalar("n")
    filled = function([v, n], T.alloc(v, n, 3), backend=backend)
    reshaped = function([v, n], v.reshape((n, 4)), backend=backend)
    assert filled.backend == reshaped.backend == backend
    with pytest.raises(ValueError, match=r"Alloc: an array of shape \(4611686018427387904, 3\) "
                                         r"is too big"):
        filled(np.ones(3), 2**62)
    with pytest.raises(ValueError, match=r"Reshape\{2\}: cannot reshape an array of shape \(12,\)"):
        reshaped(np.ones(12), 2**62)


@pytest.mark.parametrize("backend", ["c", "numpy"])
def test_a_written_value_broadcasts_only_where_its_type_says(backend):
    """As for elementwise ops: a value of length 1 along an axis its type does not mark as
    broadcastable is refused (its gradient could not be summed back to its shape); a row, whose
    type does say so, broadcasts, and its gradient has its shape."""
    x, y, r, iv = T.dmatrix("x"), T.dmatrix("y"), T.drow("r"), T.lvector("iv")
    X, one_row = np.zeros((4, 3)), np.ones((1, 3))
    for written in (T.inc_subtensor(x[1:3], y), T.set_subtensor(x[iv], y)):
        f = function([x, y, iv], written, backend=backend, on_unused_input="ignore")
        with pytest.raises(ValueError, match=r"a value of shape \(1, 3\) does not broadcast to "
                                             r"the region of shape \(2, 3\)"):
            f(X, one_row, [0, 2])
    out = T.inc_subtensor(x[iv], r)
    g = function([x, r, iv], [out, T.grad((out * out).sum(), r)], backend=backend)
    value, gradient = g(X, one_row, [0, 2])
    np.testing.assert_array_equal(value, [[1, 1, 1], [0, 0, 0], [1, 1, 1], [0, 0, 0]])
    np.testing.assert_array_equal(gradient, [[4.0, 4.0, 4.0]])  # 2 * 1 from each of 2 rows
