"""ifelse: values against NumPy, laziness (the branch not taken does not run), gradients against
finite differences, the rewrites of a known condition, and its errors."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel as G
import graphlab_kernel.tensor as T
from graphlab_kernel.gof.graph import Apply
from graphlab_kernel.gof.op import Op
from graphlab_kernel.ifelse import IfElse, ifelse

BACKENDS = ["c", "numpy"]


class Counted(Op):
    """The identity, counting how many times it runs (per instance)."""

    __props__ = ("tag",)

    def __init__(self, tag: str):
        self.tag = tag
        self.calls = 0

    def make_node(self, x) -> Apply:
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs):
        self.calls += 1
        return [inputs[0].copy()]


@pytest.mark.parametrize("backend", BACKENDS)
def test_values_are_the_branch_taken(backend):
    a, b = T.dscalars("a", "b")
    x, y = T.dmatrices("x", "y")
    f = G.function([a, b, x, y], ifelse(T.lt(a, b), T.mean(x), T.exp(y).sum()), backend=backend)
    xv, yv = np.arange(6.0).reshape(2, 3), np.linspace(-1, 1, 6).reshape(3, 2)
    np.testing.assert_allclose(f(1.0, 2.0, xv, yv), xv.mean())
    np.testing.assert_allclose(f(2.0, 1.0, xv, yv), np.exp(yv).sum())


def test_the_c_backend_compiles_ifelse_and_runs_only_the_branch_taken():
    # in C, what only the branch not taken needs is skipped: its shape checks and index checks
    # (which would raise) as well as its values
    c, x, y, i = T.lscalar("c"), T.dvector("x"), T.dvector("y"), T.lscalar("i")
    f = G.function([c, x, y, i], ifelse(c, T.exp(x + y), T.log(x) * x[i]))
    assert f.backend == "c" and f.fallback_reason is None
    assert "if (gl_cond0) {" in f.c_source and "if (!gl_cond0) {" in f.c_source
    xv = np.array([1.0, 2.0, 4.0])
    np.testing.assert_allclose(f(1, xv, np.ones(3), 99), np.exp(xv + 1))
    np.testing.assert_allclose(f(0, xv, np.ones(2), 2), np.log(xv) * 4.0)  # no x + y: no error
    with pytest.raises(ValueError, match="shape"):
        f(1, xv, np.ones(2), 2)
    with pytest.raises(IndexError, match="out of range"):
        f(0, xv, np.ones(3), 7)


def test_c_nested_conditions_computed_from_values():
    # conditions computed from array values (with the shape code, so that what runs under each
    # branch is known before any output is allocated), the inner one under the outer branch
    x = T.dvector("x")
    inner = ifelse(T.gt(x.max(), 2.0), x[:2] * 10.0, x[::-1] - 1.0)
    f = G.function([x], ifelse(T.gt(x.sum(), 0.0), inner, T.concatenate([x, x])))
    g = G.function([x], ifelse(T.gt(x.sum(), 0.0), inner, T.concatenate([x, x])),
                   backend="numpy")
    assert f.backend == "c"
    for v in (np.array([1.0, 3.0, 0.5]), np.array([1.0, 1.5, 0.5]), np.array([-4.0, 1.0]),
              np.array([5.0])):
        expected = (v[:2] * 10 if v.max() > 2 else v[::-1] - 1) if v.sum() > 0 else \
            np.concatenate([v, v])
        np.testing.assert_allclose(f(v), expected)
        np.testing.assert_allclose(g(v), expected)


def test_c_a_condition_that_is_also_an_output_and_an_update():
    # the condition's value is computed with the shape code, never into an output's buffer,
    # which is allocated later: it is copied into its output
    x = T.dvector("x")
    total = G.shared(0.0, name="total")
    s = x.sum()
    f = G.function([x], [s, ifelse(T.gt(s, 0.0), x * 2.0, -x)], updates={total: total + s})
    assert f.backend == "c"
    for v, expected in ((np.array([1.0, 2.0]), [2.0, 4.0]), (np.array([-3.0]), [3.0])):
        got_sum, got = f(v)
        assert got_sum == v.sum()
        np.testing.assert_allclose(got, expected)
    assert total.get_value() == 0.0


def test_the_branch_not_taken_does_not_run():
    c, x = T.lscalar("c"), T.dvector("x")
    left, right = Counted("left"), Counted("right")
    f = G.function([c, x], ifelse(c, T.exp(left(x)), T.log(right(x)) * 2.0))
    v = np.array([1.0, 2.0])
    np.testing.assert_allclose(f(1, v), np.exp(v))
    assert (left.calls, right.calls) == (1, 0)
    np.testing.assert_allclose(f(0, v), np.log(v) * 2.0)
    assert (left.calls, right.calls) == (1, 1)


def test_nested_branches_run_only_on_their_path():
    c1, c2, x = T.lscalar("c1"), T.lscalar("c2"), T.dvector("x")
    inner_a, inner_b, outer = Counted("a"), Counted("b"), Counted("outer")
    shared_by_both = x * 3.0  # read by both inner branches: computed when the outer one is taken
    inner = ifelse(c2, inner_a(shared_by_both) + 1.0, inner_b(shared_by_both) - 1.0)
    f = G.function([c1, c2, x], ifelse(c1, inner, outer(x)))
    v = np.array([1.0, -2.0])
    np.testing.assert_allclose(f(1, 1, v), 3 * v + 1)
    np.testing.assert_allclose(f(1, 0, v), 3 * v - 1)
    np.testing.assert_allclose(f(0, 1, v), v)
    assert (inner_a.calls, inner_b.calls, outer.calls) == (1, 1, 1)


def test_a_value_needed_outside_the_branch_is_computed_whatever_the_condition():
    c, x = T.lscalar("c"), T.dvector("x")
    counted = Counted("both")
    y = counted(x)
    f = G.function([c, x], [ifelse(c, y * 2.0, x), y.sum()])
    for cond in (0, 1, 0):
        out, total = f(cond, np.array([1.0, 2.0]))
        assert total == 3.0
        np.testing.assert_array_equal(out, [2.0, 4.0] if cond else [1.0, 2.0])
    assert counted.calls == 3


def test_an_error_the_branch_not_taken_would_raise_does_not_happen():
    v, i = T.dvector("v"), T.lscalar("i")
    f = G.function([v, i], ifelse(T.lt(i, v.shape[0]), v[i], -1.0))
    assert f(np.arange(3.0), 1) == 1.0
    assert f(np.arange(3.0), 7) == -1.0
    g = G.function([v, i], T.switch(T.lt(i, v.shape[0]), v[i], -1.0))  # switch computes both
    with pytest.raises(IndexError, match="out of range"):
        g(np.arange(3.0), 7)


def test_an_error_in_the_branch_taken_names_its_node_once():
    # the NumPy backend adds the node and its inputs' shapes to an error, once (not again for
    # the IfElse whose branch it is)
    v, i = T.dvector("v"), T.lscalar("i")
    f = G.function([v, i], ifelse(T.gt(i, 0), v[i], v[0]), backend="numpy")
    with pytest.raises(IndexError) as info:
        f(np.arange(3.0), 5)
    assert str(info.value).count("while computing") == 1
    assert "Subtensor" in str(info.value)


@pytest.mark.parametrize("backend", BACKENDS)
def test_several_outputs_and_shapes_that_differ_between_branches(backend):
    c, x = T.lscalar("c"), T.dvector("x")
    outs = ifelse(c, [x[:2], x.sum()], [x * 2.0, x.max()])
    assert isinstance(outs, list) and len(outs) == 2
    f = G.function([c, x], outs, backend=backend)
    v = np.array([1.0, 5.0, 3.0])
    first, second = f(1, v)
    np.testing.assert_array_equal(first, v[:2])
    assert second == 9.0
    first, second = f(0, v)
    np.testing.assert_array_equal(first, v * 2.0)
    assert second == 5.0


def test_outputs_are_fresh_arrays_not_the_inputs():
    c, x = T.lscalar("c"), T.dvector("x")
    f = G.function([c, x], ifelse(c, x, x * 2.0))
    v = np.array([1.0, 2.0])
    out = f(1, v)
    out[0] = 99.0
    assert v[0] == 1.0


def test_a_shared_variable_updated_through_ifelse():
    count = G.shared(0, name="count")
    limit = T.lscalar("limit")
    step = G.function([limit], count, updates={count: ifelse(T.lt(count, limit), count + 1,
                                                             count)})
    seen = [int(step(3)) for _ in range(5)]
    assert seen == [0, 1, 2, 3, 3]
    assert count.get_value() == 3


@pytest.mark.parametrize("taken", [0, 1])
def test_gradients_match_finite_differences(taken):
    c, x, y = T.lscalar("c"), T.dvector("x"), T.dvector("y")
    cost = ifelse(c, (T.exp(x) * y).sum(), (x ** 2).sum() + T.sin(y).sum())
    gx, gy = T.grad(cost, [x, y])
    f = G.function([c, x, y], [cost, gx, gy])
    rng = np.random.default_rng(3)
    xv, yv = rng.normal(size=4), rng.normal(size=4)
    _, gxv, gyv = f(taken, xv, yv)
    eps = 1e-6
    for wrt, got in ((0, gxv), (1, gyv)):
        numeric = np.empty(4)
        for k in range(4):
            hi, lo = [xv.copy(), yv.copy()], [xv.copy(), yv.copy()]
            hi[wrt][k] += eps
            lo[wrt][k] -= eps
            numeric[k] = (f(taken, *hi)[0] - f(taken, *lo)[0]) / (2 * eps)
        np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-8)
    if taken:
        np.testing.assert_allclose(gyv, np.exp(xv))
    else:
        np.testing.assert_allclose(gxv, 2 * xv)


def test_a_known_condition_is_rewritten_to_its_branch():
    x = T.dvector("x")
    f = G.function([x], ifelse(1, T.exp(x), T.log(x)))
    ops = [type(n.op) for n in f.maker.fgraph.toposort()]
    assert IfElse not in ops and len(ops) == 1
    assert f.backend == "c"
    np.testing.assert_allclose(f(np.array([0.0, 1.0])), np.exp([0.0, 1.0]))
    g = G.function([x], ifelse(T.constant(0), T.exp(x), T.log(x)))
    np.testing.assert_allclose(g(np.array([1.0, 2.0])), np.log([1.0, 2.0]))


def test_equal_branches_are_rewritten_to_one():
    c, x = T.lscalar("c"), T.dvector("x")
    f = G.function([c, x], ifelse(c, T.exp(x), T.exp(x)))
    assert not any(isinstance(n.op, IfElse) for n in f.maker.fgraph.toposort())
    assert f.backend == "c"
    np.testing.assert_allclose(f(0, np.array([1.0])), np.e)


def test_pp_and_debugprint():
    c, a, b = T.lscalar("c"), T.dscalar("a"), T.dscalar("b")
    z = ifelse(c, a + b, a * b)
    assert G.pp(z) == "ifelse(c, (a + b), (a * b))"
    text = G.debugprint(z, file="str")
    assert text.splitlines()[0] == "IfElse [id A]"
    assert "Elemwise{mul,no_inplace}" in text


def test_a_number_branch_takes_the_dtype_of_the_other():
    c, x = T.lscalar("c"), T.fvector("x")
    z = ifelse(c, x.sum(), 0)
    assert z.dtype == "float32"
    f = G.function([c, x], z)
    assert f(0, np.ones(2, "float32")) == 0.0 and f(1, np.ones(2, "float32")) == 2.0
    with pytest.raises(TypeError, match="same dtype and number of dimensions"):
        ifelse(c, x, 0)  # no broadcasting: a branch is a value of its own shape


def test_bad_arguments_are_named():
    c, x, m = T.lscalar("c"), T.dvector("x"), T.dmatrix("m")
    with pytest.raises(TypeError, match="condition of ifelse must be a scalar"):
        ifelse(x, x, x)
    with pytest.raises(TypeError, match="same dtype and number of dimensions.*x.*m"):
        ifelse(c, x, m)
    with pytest.raises(TypeError, match="same dtype"):
        ifelse(c, x, T.lvector("k"))
    with pytest.raises(ValueError, match="then branch has 2 values but the else branch 1"):
        ifelse(c, [x, x], [x])
    with pytest.raises(TypeError, match="both be variables or both be lists"):
        ifelse(c, [x], x)
    with pytest.raises(TypeError, match="same dtype"):
        ifelse(c, T.lvector("k"), 0.5)
