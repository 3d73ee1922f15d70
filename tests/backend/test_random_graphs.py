"""Random graphs over matrices, vectors and scalars, compiled to C and run on NumPy (the reference)
with inputs in odd layouts: the two backends give the same values, or both raise.

The graphs mix what the C code generator treats separately: fused elementwise loops with row,
column and scalar broadcasting, transposes and reversed views (strided loops), reductions over
either axis or all, matrix and matrix-vector products (BLAS, with transposed operands), lazy
choices (ifelse, whose branches run under an `if` on a condition computed first), nodes with no
C form (the C calling back into Python for them), shapes set by values (a slice bound computed
from the data, with the shape code), and
sizes from empty to large enough to run in parts on the thread pool. The inputs come as C or
Fortran order, transposed, reversed or strided views. A crash of the process, the worst bug the
C backend can have, would fail the whole run."""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import check_grad, weighted_cost
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import graphlab_kernel as G
import graphlab_kernel.tensor as T
from graphlab_kernel import function
from graphlab_kernel.ifelse import ifelse
from graphlab_kernel.printing import Print
from tests.toolchain import require_compiler

# Every value in a program is ("m", var) a matrix, ("v", var) a vector or ("s", var) a scalar;
# each step makes a new one from earlier ones. The inputs are n x n, n x n and n (unless the
# example skews one of them), and some steps change shapes, so that a later step may combine
# values whose shapes do not fit: then both backends must raise.
UNARY = {
    "neg": T.neg, "tanh": T.tanh, "sqr": T.sqr, "abs": abs, "sigmoid": T.sigmoid,
    "exp": lambda u: T.exp(T.clip(u, -20.0, 20.0)), "log1p_sqr": lambda u: T.log1p(T.sqr(u)),
}
BINARY = {"add": T.add, "sub": T.sub, "mul": T.mul, "maximum": T.maximum,
          "affine": lambda a, b: a * 0.5 - b * 2.0}


def _pick(values, kinds, k):
    candidates = [v for v in values if v[0] in kinds]
    return candidates[k % len(candidates)] if candidates else None


def _step(values, op, i, j):
    """The value step (op, i, j) makes, or None when it does not apply to the values so far."""
    kind = op % KINDS
    a = _pick(values, "mvs", i)
    if kind == 0:
        names = sorted(UNARY)
        return (a[0], UNARY[names[j % len(names)]](a[1]))
    if kind == 1:  # same kinds, or anything with a scalar
        b = _pick(values, a[0] + "s", j)
        names = sorted(BINARY)
        result = BINARY[names[(i + j) % len(names)]](a[1], b[1])
        return (a[0] if a[0] != "s" else b[0], result)
    m = _pick(values, "m", i)
    v = _pick(values, "v", j)
    if kind == 2 and m and v:  # a vector broadcast along rows or columns
        row = v[1].dimshuffle("x", 0) if j % 2 else v[1].dimshuffle(0, "x")
        return ("m", m[1] * row + row)
    if kind == 3 and m:
        return ("m", m[1].T)
    if kind == 4 and m:
        return ("m", m[1][::-1] if j % 2 else m[1][:, ::-1])
    if kind == 5 and m:
        return ("v", m[1].sum(axis=j % 2))
    if kind == 6 and m:
        return ("v", m[1].max(axis=j % 2))
    if kind == 7 and (m or v):
        return ("s", (m or v)[1].sum())
    if kind == 8 and m:
        b = _pick(values, "m", j)
        return ("m", T.dot(m[1], b[1].T if (i + j) % 2 else b[1]))
    if kind == 9 and m and v:
        return ("v", T.dot(m[1].T if i % 2 else m[1], v[1]) * 0.1)
    if kind == 10 and v:
        return ("s", T.dot(v[1], _pick(values, "v", i)[1]))
    if kind == 11 and v:
        return ("v", v[1][::-1] + v[1].mean())
    if kind == 12 and m:  # shapes change
        return ("m", m[1][1:] if j % 2 else m[1][:, :-1])
    if kind == 13 and m:  # the optimizer makes a Gemm (or Gemv) of these
        b = _pick(values, "m", j)
        return ("m", m[1] * 0.5 - 0.1 * T.dot(b[1].T if i % 2 else b[1], m[1]))
    if kind == 14 and m:
        return ("v", m[1].mean(axis=j % 2) if i % 2 else T.argmax(m[1], axis=j % 2))
    if kind == 15 and m:
        return ("m", T.nnet.softmax(m[1]) if j % 2 else T.nnet.log_softmax(m[1]))
    if kind == 16 and m:
        b = _pick(values, "m", j)
        return ("m", T.concatenate([m[1], b[1]], axis=(i + j) % 2))
    if kind == 17 and m and v:
        row = T.cast(v[1], m[1].dtype)
        if j % 2:
            return ("m", T.set_subtensor(m[1][:, 0], row))
        return ("m", T.inc_subtensor(m[1][::2], row))
    if kind == 18 and m:
        b = _pick(values, "m", j)
        return ("m", T.switch(m[1] > b[1], m[1], b[1] * 2.0))
    if kind == 19 and m:
        return ("v", T.reshape(m[1], (-1,))[::3])
    if kind == 20 and m:  # a lazy choice, on a condition computed from values; the branches'
        b = _pick(values, "m", j)  # shapes may differ, and ifelse inside ifelse happens
        cond = _pick(values, "vs", i + j)
        other = T.dot(b[1], m[1]) if i % 2 else b[1][1:]
        return ("m", ifelse(T.gt(cond[1].sum(), 0.0), T.cast(m[1] * 2.0 + 1.0, other.dtype),
                            other))
    if kind == 21:  # a node with no C form: the C calls back into Python for it
        return (a[0], Print("", attrs=())(a[1]) * 1.5)
    if kind == 22 and m:  # a shape set by values: the slice bound is computed with the shapes
        return ("m", m[1][:T.argmax(m[1].sum(axis=j % 2)) + 1] * 2.0)
    return None


KINDS = 23


def _layout(array: np.ndarray, how: int) -> np.ndarray:
    """The same values, laid out as C order, Fortran order, a transpose, reversed or strided."""
    if how == 1:
        return np.asfortranarray(array)
    if how == 2 and array.ndim == 2:
        return np.ascontiguousarray(array.T).T
    if how == 3:
        return np.flip(np.flip(array).copy())
    if how == 4:
        wide = np.zeros(tuple(2 * s for s in array.shape))
        view = wide[(slice(None, None, 2),) * array.ndim]
        view[...] = array
        return view
    return np.ascontiguousarray(array)


programs = st.lists(st.tuples(st.integers(0, KINDS - 1), st.integers(0, 50), st.integers(0, 50)),
                    min_size=1, max_size=10)
sizes = st.one_of(st.sampled_from([0, 1, 2, 3, 5, 8]), st.integers(0, 40),
                  st.sampled_from([260, 300]))  # 260 x 260 and up: elementwise loops in parts


CASES = {"program": programs, "n": sizes, "layouts": st.tuples(*[st.integers(0, 4)] * 3),
         "seed": st.integers(0, 2**16),
         "skew": st.sampled_from([None] * 6 + ["b", "v"]),  # b is n x (n + 1), or v has n + 1
         "single": st.booleans()}  # a is float32 (its values meet float64 ones: upcasts)


# A fixed set of examples, so that a run of the suite compiles the same modules as the last
# (and finds them in the cache); a longer search: settings(max_examples=2000)(given(**CASES)(
# check_random_graph))() with derandomize off, as a script.
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(**CASES)
def test_c_matches_numpy_on_random_graphs(program, n, layouts, seed, skew, single):
    require_compiler()
    check_random_graph(program, n, layouts, seed, skew, single)


def check_random_graph(program, n, layouts, seed, skew, single):
    a = T.fmatrix("a") if single else T.dmatrix("a")
    b, v = T.dmatrix("b"), T.dvector("v")
    values = [("m", a), ("m", b), ("v", v)]
    for step in program:
        made = _step(values, *step)
        if made is not None:
            values.append(made)
    outputs = [value for _, value in values[3:]][-3:]
    if not outputs:
        return
    rng = np.random.default_rng(seed)
    shapes = [(n, n), (n, n + (skew == "b")), (n + (skew == "v"),)]
    args = [_layout(rng.uniform(-2, 2, shape), how) for shape, how in zip(shapes, layouts)]
    if single:
        args[0] = _layout(args[0].astype("float32"), layouts[0])
    before = [x.copy() for x in args]

    def run(backend):
        f = function([a, b, v], outputs, backend=backend, on_unused_input="ignore")
        assert f.backend == backend, f.fallback_reason  # the C is what is compared
        try:
            return f(*args)
        except (ValueError, MemoryError) as exc:  # max of an empty axis, say
            return type(exc)

    want = run("numpy")
    got = run("c")
    if isinstance(want, type):
        assert got is want
    else:
        assert not isinstance(got, type), got
        for g, w in zip(got, want):
            assert g.dtype == w.dtype and g.shape == w.shape
            tight = not single  # float32 values, from libm and libmvec, differ in an ulp or so
            np.testing.assert_allclose(g, w, rtol=1e-9 if tight else 2e-5,
                                       atol=(1e-9 if tight else 1e-5) * max(n, 1))
    for x, y in zip(args, before):
        np.testing.assert_array_equal(x, y)  # inputs are never written


UPDATE_CASES = {"program": programs, "n": sizes, "seed": st.integers(0, 2**16),
                "targets": st.lists(st.integers(0, 50), min_size=1, max_size=3),
                "skew": st.sampled_from([None] * 4 + ["x"])}  # x is n x (n + 1): calls fail


@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(**UPDATE_CASES)
def test_c_matches_numpy_on_random_updates(program, n, seed, targets, skew):
    check_random_updates(program, n, seed, targets, skew)


def check_random_updates(program, n, seed, targets, skew):
    """Shared W, V (n x n) and u (n), updated by random graphs of them and of an input x: the C
    backend (which writes the new values into the shared arrays where it can) against NumPy, for
    three calls. A call that fails must fail on both and leave every shared value as it was."""
    rng = np.random.default_rng(seed)
    start = [rng.uniform(-1, 1, (n, n)), rng.uniform(-1, 1, (n, n)), rng.uniform(-1, 1, n)]
    xs = [rng.uniform(-1, 1, (n, n + (skew == "x"))) for _ in range(3)]
    outcome = {}
    for backend in ("numpy", "c"):
        shared = [G.shared(value.copy(), name=name) for value, name in zip(start, "WVu")]
        x = T.dmatrix("x")
        values = [("m", shared[0]), ("m", shared[1]), ("v", shared[2]), ("m", x)]
        for step in program:
            made = _step(values, *step)
            if made is not None and made[1].dtype == "float64":
                values.append(made)
        updates = {}
        for k in targets:
            var = shared[k % 3]
            fits = [value for kind, value in values[4:] if value.type == var.type]
            if fits and var not in updates:  # half of them a training step: in place in C
                step = fits[k % len(fits)]
                updates[var] = var * 0.9 - 0.1 * step if k % 2 else step
        if not updates:
            return
        f = function([x], values[-1][1], updates=list(updates.items()), backend=backend,
                     on_unused_input="ignore")
        trace = []
        for value in xs:
            before = [s.get_value() for s in shared]
            try:
                out = f(value)
            except (ValueError, MemoryError) as exc:
                trace.append(type(exc))
                for s, old in zip(shared, before):  # nothing half-updated
                    np.testing.assert_array_equal(s.get_value(), old)
                continue
            trace.append((np.asarray(out).copy(), [s.get_value() for s in shared]))
        outcome[backend] = trace
    for want, got in zip(outcome["numpy"], outcome["c"]):
        if isinstance(want, type):
            assert got is want
            continue
        assert not isinstance(got, type), got
        for g, w in zip([got[0], *got[1]], [want[0], *want[1]]):
            assert g.shape == w.shape
            np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-9 * max(n, 1))


GRADIENT_CASES = {"program": programs, "n": st.integers(1, 6), "seed": st.integers(0, 2**16),
                  "backend": st.sampled_from(["numpy", "c"])}


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(**GRADIENT_CASES)
def test_gradients_of_random_graphs_match_finite_differences(program, n, seed, backend):
    check_random_gradient(program, n, seed, backend)


def check_random_gradient(program, n, seed, backend):
    """T.grad of a weighted sum of a random graph's last value, with respect to each input,
    against a central difference along a random direction."""
    a, b, v = T.dmatrix("a"), T.dmatrix("b"), T.dvector("v")
    values = [("m", a), ("m", b), ("v", v)]
    for step in program:
        if step[0] % KINDS == 6:  # max: copies (concatenate) tie, and every tied maximum gets
            continue              # the gradient, as in Theano, which no difference agrees with
        if step[0] % KINDS == 22:  # a shape set by an argmax: a difference may move it
            continue
        made = _step(values, *step)
        if made is not None and made[1].dtype == "float64":
            values.append(made)
    if len(values) == 3:
        return
    out = values[-1][1]
    rng = np.random.default_rng(seed)
    args = [rng.uniform(-2, 2, (n, n)), rng.uniform(-2, 2, (n, n)), rng.uniform(-2, 2, n)]
    try:
        out_value = function([a, b, v], out, on_unused_input="ignore", backend="numpy")(*args)
    except ValueError:  # shapes that do not fit: nothing to differentiate
        return
    # every input in the cost (check_grad compiles with all of them), each smoothly
    cost = weighted_cost(out, out_value, rng) + 1e-3 * sum(T.sqr(x).sum() for x in (a, b, v))
    # a central difference of a cost of size |f| carries rounding errors of about |f| 1e-16 / eps
    size = float(np.sum(np.abs(out_value))) + 1.0
    check_grad([a, b, v], cost, args, [0, 1, 2], rng, atol=1e-7 + 1e-8 * size, backend=backend)


@pytest.mark.parametrize("how", range(5))
def test_layouts_hold_the_values_they_were_given(how):
    """The layouts above are what they say (else the property test would test less)."""
    value = np.arange(12.0).reshape(3, 4)
    laid = _layout(value, how)
    np.testing.assert_array_equal(laid, value)
    flags = {0: laid.flags.c_contiguous, 1: laid.flags.f_contiguous and not laid.flags.c_contiguous,
             2: laid.flags.f_contiguous and not laid.flags.c_contiguous,
             3: laid.strides[0] < 0, 4: laid.strides[1] == 16}
    assert flags[how]
