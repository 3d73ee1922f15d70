"""Every rule, structurally (the graph it makes, by `pp`) and numerically (the rewritten graph gives
the unoptimized graph's outputs on random inputs, with the NumPy reference backend)."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel.tensor as T
from graphlab_kernel.gradient import grad_clip, zero_grad
from graphlab_kernel.ifelse import ifelse
from graphlab_kernel.printing import pp
from graphlab_kernel.rewrite import canonicalize as C
from graphlab_kernel.rewrite import products as P
from graphlab_kernel.rewrite import shape_inference as SI
from graphlab_kernel.rewrite import specialize as SP
from graphlab_kernel.rewrite import stabilize as ST
from graphlab_kernel.rewrite.merge import constant_folding
from tests.rewrite.helpers import random_values, rewritten, run_fgraph


def _vec():
    x, y = T.dvector("x"), T.dvector("y")
    return [x, y]


def _mat():
    return [T.dmatrix("A"), T.dvector("v"), T.dvector("u")]


def _checked(n, *conditions):
    """n behind a shape check of `conditions` (as shape inference makes them)."""
    from graphlab_kernel.tensor.shape_checks import CheckShapes
    return CheckShapes("test", ("lengths differ",), len(conditions))(n, *conditions)


def _through_softmax(x, g):
    """The gradient of log(softmax(x)) as grad builds it: softmax_grad(g / sm, sm)."""
    sm = T.nnet.softmax(x)
    return T.nnet.softmax_grad(g / sm, sm)


# (rule, inputs maker, expression of the inputs, expected pp after the rule alone)
CASES = [
    (constant_folding, _vec, lambda x, y: x + (T.constant(2.0) * 3.0), "(x + TensorConstant{[6.]})"),
    (C.mul_by_one, _vec, lambda x, y: x * 1.0, "x"),
    (C.add_zero, _vec, lambda x, y: 0.0 + x, "x"),
    (C.sub_zero, _vec, lambda x, y: x - 0.0, "x"),
    (C.sub_self, _vec, lambda x, y: (x + y) - (x + y), "fill((x + y), 0.0)"),
    (C.sub_zero_from, _vec, lambda x, y: 0.0 - x, "(-x)"),
    (C.div_by_one, _vec, lambda x, y: x / 1.0, "x"),
    (C.neg_neg, _vec, lambda x, y: -(-x), "x"),
    (C.mul_by_minus_one, _vec, lambda x, y: x * -1.0, "(-x)"),
    (C.pow_one, _vec, lambda x, y: x ** 1, "x"),
    (C.pow_two, _vec, lambda x, y: x ** 2, "sqr(x)"),
    (C.fill_known_shape, lambda: [T.dscalar("x"), T.dscalar("y")],
     lambda x, y: T.fill(x, y), "y"),
    (C.fill_of_fill, _vec, lambda x, y: T.fill(x, T.fill(x, y)), "fill(x, y)"),
    (C.fill_sink, _vec, lambda x, y: T.fill(x, 3.0) * x, "(TensorConstant{3.0} * x)"),
    (C.combine_constants, _vec, lambda x, y: (x + 2.0) + 3.0, "(x + 5.0)"),
    (C.cast_to_same, _vec, lambda x, y: T.Elemwise(T.scalar_ops.Cast("float64"))(x), "x"),
    (C.dimshuffle_identity, _vec, lambda x, y: T.DimShuffle((False,), (0,))(x), "x"),
    (C.reduce_over_length_one, lambda: [T.dmatrix("x"), T.dvector("y")],
     lambda x, y: y.dimshuffle("x", 0).sum(axis=0), "DimShuffle{1}(y)"),
    (C.reduce_over_length_one, lambda: [T.dmatrix("x"), T.dvector("y")],
     lambda x, y: T.max(x.dimshuffle(0, "x", 1), axis=(1, 2)), "max(DimShuffle{0, 2}(x), axis=[1])"),
    (C.dimshuffle_of_dimshuffle, lambda: [T.dmatrix("x"), T.dvector("y")],
     lambda x, y: x.T.T + y, "(x + y)"),
    (C.add_neg, _vec, lambda x, y: x + (-y), "(x - y)"),
    (C.sub_neg, _vec, lambda x, y: x - (-y), "(x + y)"),
    (C.mul_neg_neg, _vec, lambda x, y: (-x) * (-y), "(x * y)"),
    (C.sqr_of_neg, _vec, lambda x, y: T.sqr(-x), "sqr(x)"),
    (C.shape_index, _vec, lambda x, y: x.shape[0] + 0, "(x.shape[0] + TensorConstant{0})"),
    (C.gradient_override, _vec, lambda x, y: zero_grad(x) * grad_clip(y, -1, 1), "(x * y)"),
    # shape inference: the cases of the narrower rules it replaced (shape_of_shape_keeper,
    # shape_i_of_dimshuffle) first, with the results those gave
    (SI.shape_i_inferred, lambda: [T.dmatrix("x"), T.dvector("y")],
     lambda x, y: T.shape_i(T.exp(x), 1) + T.shape_i(T.nnet.softmax(x), 0),
     "(x.shape[1] + x.shape[0])"),
    (SI.shape_inferred, _vec, lambda x, y: T.exp(x).shape, "Shape(x)"),
    (SI.shape_i_inferred, lambda: [T.dmatrix("x"), T.dvector("y")],
     lambda x, y: T.shape_i(x.T, 0) * T.shape_i(y.dimshuffle("x", 0), 0),
     "(x.shape[1] * TensorConstant{1})"),
    (SI.shape_i_inferred, lambda: [T.dmatrix("A"), T.dvector("v")],
     lambda A, v: T.shape_i(T.dot(A, v), 0), "check(A.shape[0], (A.shape[1] == v.shape[0]))"),
    (SI.shape_inferred, _vec, lambda x, y: (x * y).shape,
     "check(x.shape[0], (x.shape[0] == y.shape[0]))"),  # as a vector of one length
    (SI.shape_of_its_lengths, lambda: [T.dmatrix("x"), T.dvector("y")],
     lambda x, y: T.stack([T.shape_i(x, 0), T.shape_i(x, 1)]) + 0,
     "(Shape(x) + TensorConstant{0})"),
    (SI.length_against_itself, _vec,
     lambda x, y: T.eq(T.shape_i(x, 0), _checked(T.shape_i(x, 0), T.lt(T.shape_i(y, 0), 9))),
     "check(TensorConstant{True}, (y.shape[0] < TensorConstant{9}))"),
    (SI.length_of_checked_shape, _vec,
     lambda x, y: T.ge(_checked(T.shape_i(x, 0), T.lt(T.shape_i(y, 0), 9)), 0),
     "check(TensorConstant{True}, (y.shape[0] < TensorConstant{9}))"),
    (SI.check_of_a_check, _vec,
     lambda x, y: _checked(T.shape_i(x, 0),
                           _checked(T.constant(True), T.lt(T.shape_i(y, 0), 9))),
     "check(x.shape[0], (y.shape[0] < TensorConstant{9}))"),
    (SI.check_known_to_pass, _vec,
     lambda x, y: _checked(T.shape_i(x, 0), T.eq(T.shape_i(x, 0), T.shape_i(x, 0)),
                           T.lt(T.shape_i(y, 0), 9)),
     "check(x.shape[0], (y.shape[0] < TensorConstant{9}))"),
    (C.alloc_of_own_shape, lambda: [T.dmatrix("x"), T.dvector("y")],
     lambda x, y: T.alloc(x, T.shape_i(x, 0), T.shape_i(x, 1)), "x"),
    (C.alloc_of_scalar_shape, lambda: [T.dscalar("x"), T.dscalar("y")],
     lambda x, y: T.alloc(x) + y, "(x + y)"),
    (C.ifelse_known_condition, _vec, lambda x, y: ifelse(1, T.exp(x), x * y) + y,
     "(exp(x) + y)"),
    (C.ifelse_known_condition, _vec, lambda x, y: ifelse(T.constant(0), T.exp(x), x * y),
     "(x * y)"),
    (C.ifelse_same_branches, lambda: [T.lscalar("c"), T.dvector("x")],
     lambda c, x: ifelse(c, T.exp(x), T.exp(x)), "exp(x)"),
    (ST.sigmoid_from_division, _vec, lambda x, y: 1 / (1 + T.exp(-x)), "sigmoid(x)"),
    (ST.sigmoid_from_exp_ratio, _vec, lambda x, y: T.exp(x) / (1 + T.exp(x)), "sigmoid(x)"),
    (ST.one_minus_sigmoid, _vec, lambda x, y: 1 - T.sigmoid(x), "sigmoid((-x))"),
    (ST.log_sigmoid, _vec, lambda x, y: T.log(T.sigmoid(x)), "(-softplus((-x)))"),
    (ST.log_one_minus_sigmoid, _vec, lambda x, y: T.log(1 - T.sigmoid(x)), "(-softplus(x))"),
    (ST.log_one_plus, _vec, lambda x, y: T.log(1 + x * x), "log1p((x * x))"),
    (ST.softplus_from_log1p_exp, _vec, lambda x, y: T.log1p(T.exp(x)), "softplus(x)"),
    (ST.expm1_from_exp, _vec, lambda x, y: T.exp(x) - 1, "expm1(x)"),
    (ST.log_of_softmax, lambda: [T.dmatrix("x"), T.dvector("y")],
     lambda x, y: T.log(T.nnet.softmax(x)), "logsoftmax(x)"),
    (ST.log_softmax_grad, lambda: [T.dmatrix("x"), T.dmatrix("g")],
     lambda x, g: _through_softmax(x, g), "(g - (sum(g, axis=[1]) * softmax(x)))"),
    (ST.log_softmax_grad, lambda: [T.dmatrix("x"), T.col("g", dtype="float64")],
     lambda x, g: _through_softmax(x, g),
     "(fill(softmax(x), g) - (sum(fill(softmax(x), g), axis=[1]) * softmax(x)))"),
    (P.simplify_sigmoid_product, _vec,
     lambda x, y: y * T.exp(x) / ((1 + T.exp(x)) * (1 + T.exp(x))),
     "((y * sigmoid(x)) * sigmoid((-x)))"),
]

IDS = [case[0].name for case in CASES]


def _graph(case):
    _, make_inputs, expr, _ = case
    inputs = make_inputs()
    return inputs, expr(*inputs)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_rule_makes_the_expected_graph(case):
    rule_, _, _, expected = case
    inputs, out = _graph(case)
    fgraph = rewritten(inputs, out, rule_)
    assert pp(fgraph.outputs[0]) == expected
    assert [r.rule for r in fgraph.history] and {r.rule for r in fgraph.history} == {rule_.name}
    assert all(r.doc == rule_.doc for r in fgraph.history)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_rule_keeps_the_outputs(case):
    rule_, _, _, _ = case
    inputs, out = _graph(case)
    before = rewritten(inputs, out)
    after = rewritten(inputs, out, rule_)
    rng = np.random.default_rng(0)
    for _ in range(3):
        values = random_values(inputs, rng)
        (expected,), (got,) = run_fgraph(before, values), run_fgraph(after, values)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_every_rule_of_every_pipeline_has_a_case():
    from graphlab_kernel.rewrite.pipelines import ALL_STEPS
    from graphlab_kernel.rewrite.engine import RuleSet
    rules = {r.name for s in ALL_STEPS if isinstance(s, RuleSet) for r in s.rules}
    covered = set(IDS) | {"gemv_from_add", "gemv_from_sub"}  # tested in test_specialize
    assert rules <= covered, sorted(rules - covered)


GEMV_CASES = [
    (SP.gemv_from_add, lambda A, v, u: u + T.dot(A, v), "Gemv"),
    (SP.gemv_from_add, lambda A, v, u: 0.5 * T.dot(A, v) + u, "Gemv"),
    (SP.gemv_from_add, lambda A, v, u: u + T.dot(v, A), "Gemv"),
    (SP.gemv_from_sub, lambda A, v, u: u - 0.1 * T.dot(A, v), "Gemv"),
    (SP.gemv_from_add, lambda A, v, u: A + 2.0 * T.dot(A, A), "Gemm"),
    (SP.gemv_from_add, lambda A, v, u: u * 0.5 + T.dot(A, v), "Gemv"),
    (SP.gemv_from_sub, lambda A, v, u: 0.9 * A - 0.1 * T.dot(A, A), "Gemm"),
]


def test_a_scaled_z_becomes_beta_and_the_product_reads_z_itself():
    A, _v, _u = _mat()
    after = rewritten([A], 0.9 * A - 0.1 * T.dot(A, A), SP.gemv_from_sub, constant_folding)
    z, alpha, a, b, beta = after.outputs[0].owner.inputs
    assert z is after.inputs[0] and a is z and b is z
    assert float(beta.data) == 0.9 and float(alpha.data) == -0.1


@pytest.mark.parametrize("case", GEMV_CASES, ids=lambda c: c[0].name if hasattr(c, "__len__") else c)
def test_dot_scale_add_becomes_one_blas_op(case):
    rule_, expr, op_name = case
    inputs = _mat()
    out = expr(*inputs)
    used = [i for i in inputs if i in set(_ancestors(out))]
    before = rewritten(used, out)
    after = rewritten(used, out, rule_, constant_folding)
    assert type(after.outputs[0].owner.op).__name__ == op_name
    rng = np.random.default_rng(1)
    values = random_values(used, rng)
    np.testing.assert_allclose(run_fgraph(after, values)[0], run_fgraph(before, values)[0],
                               rtol=1e-9)


def _ancestors(out):
    from graphlab_kernel.gof.graph import ancestors
    return ancestors([out])


def test_a_shape_read_through_shape_keepers_no_longer_computes_them():
    import graphlab_kernel as G
    x, y = T.dmatrix("x"), T.dmatrix("y")
    f = G.function([x], [T.exp(T.nnet.softmax(x)).T.shape[0], (x ** 2).shape])
    assert {type(n.op).__name__ for n in f.maker.fgraph.toposort()} == {"Shape", "Shape_i"}
    first, second = f(np.ones((2, 3)))
    assert first == 3 and list(second) == [2, 3]
    # with two inputs, the op checks that their shapes agree: that check is kept
    g = G.function([x, y], (x + y).shape)
    with pytest.raises(ValueError, match="shape"):
        g(np.ones((2, 3)), np.ones((3, 3)))
