"""The driver, pipelines, modes, history, fusion and in-place: what a user of `function` sees."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel as G
import graphlab_kernel.tensor as T
from graphlab_kernel.gof.fg import FunctionGraph, graph_at_step
from graphlab_kernel.gof.graph import toposort
from graphlab_kernel.printing import pp
from graphlab_kernel.rewrite.engine import RuleSet, apply_rules, rule
from graphlab_kernel.tensor import scalar_ops as S
from graphlab_kernel.tensor.elemwise import Elemwise
from tests.rewrite.helpers import assert_same_outputs


def test_grad_of_square_prints_two_x():
    x = T.dscalar("x")
    f = G.function([x], T.grad(x ** 2, x))
    assert pp(f.maker.fgraph.outputs[0]) == "(2.0 * x)"
    assert f(4.0) == 8.0


def test_no_opt_leaves_the_graph_alone_and_records_nothing():
    x = T.dscalar("x")
    f = G.function([x], T.grad(x ** 2, x), mode="NO_OPT")
    assert f.history == []
    assert "fill" in pp(f.maker.fgraph.outputs[0])
    assert f(4.0) == 8.0


def test_history_names_rules_and_rebuilds_every_step():
    x = T.dscalar("x")
    gy = T.grad(x ** 2, x)
    f = G.function([x], gy)
    assert [r.step for r in f.history] == list(range(1, len(f.history) + 1))
    assert all(r.rule and r.doc for r in f.history)
    fgraph = f.maker.fgraph
    outputs, inputs_of = graph_at_step(fgraph, 0)
    # step 0 is the graph as given: print it with the node inputs of that step
    assert _pp_at(outputs[0], inputs_of) == pp(gy)
    outputs, inputs_of = graph_at_step(fgraph, len(f.history))
    assert _pp_at(outputs[0], inputs_of) == "(2.0 * x)"
    for record in f.history:
        assert len(record.replaced) == len(record.replacements)
        assert all(a.type == b.type for a, b in zip(record.replaced, record.replacements))


def test_each_record_names_the_pipeline_step_that_made_it():
    v, t = T.dvector("v"), T.dvector("t")
    p = 1 / (1 + T.exp(-v))
    cost = (-t * T.log(p) - (1 - t) * T.log(1 - p)).sum()
    f = G.function([v, t], [cost, T.grad(cost, v)])
    phases = [r.phase for r in f.history]
    order = ["merge", "canonicalize", "stabilize", "specialize", "fusion", "row_fusion", "inplace"]
    assert set(phases) <= set(order) and "" not in phases
    assert [r.phase for r in f.history if r.rule == "sigmoid_from_division"] == ["stabilize"]
    assert [r.phase for r in f.history if r.rule == "fusion"] == ["fusion"] * phases.count("fusion")
    firsts = [phases.index(step) for step in order if step in phases]
    assert firsts == sorted(firsts)  # the steps run in the pipeline's order


def _pp_at(var, inputs_of):
    """pp of `var` with each node's inputs as they were at some step."""
    saved = {}
    for node, inputs in inputs_of.items():
        saved[node] = node.inputs
        node.inputs = inputs
    try:
        return pp(var)
    finally:
        for node, inputs in saved.items():
            node.inputs = inputs


def test_optimizing_does_not_touch_the_callers_graph():
    x = T.dscalar("x")
    y = T.exp(T.constant(2.0) - 1) * x ** 1
    before = pp(y)
    G.function([x], y)
    assert pp(y) == before


def test_excluding_a_rule_or_a_rule_set():
    x = T.dvector("x")
    y = x ** 2
    assert "sqr" in pp(G.function([x], y).maker.fgraph.outputs[0])
    f = G.function([x], y, mode=G.Mode().excluding("pow_two"))
    assert "sqr" not in pp(f.maker.fgraph.outputs[0])
    assert all(r.rule != "pow_two" for r in f.history)
    f = G.function([x], T.exp(x) * 2 + 1, mode=G.Mode().excluding("fusion"))
    assert all(r.rule != "fusion" for r in f.history)
    f = G.function([x], T.exp(x) * 2 + 1, mode=G.Mode("fast_compile").including("fusion"))
    assert any(r.rule == "fusion" for r in f.history)


def test_unknown_names_are_reported():
    x = T.dvector("x")
    with pytest.raises(ValueError, match="no_such_rule"):
        G.function([x], x + 1, mode=G.Mode().excluding("no_such_rule"))


def test_a_rule_that_changes_the_type_is_rejected_by_name():
    @rule(S.Add)
    def bad_rule(fgraph, node):
        """x + y -> x as float32 (wrong)"""
        return T.cast(node.inputs[0], "float32")

    x, y = T.dvectors("x", "y")
    fgraph = FunctionGraph([x, y], [x + y])
    with pytest.raises(TypeError, match="bad_rule"):
        apply_rules(fgraph, RuleSet("bad", (bad_rule,)))


def test_a_rule_without_a_docstring_is_refused():
    with pytest.raises(ValueError, match="docstring"):
        @rule(S.Add)
        def undocumented(fgraph, node):
            return None


def test_deep_graphs_optimize_without_recursion():
    x = T.dvector("x")
    y = x
    for i in range(3000):
        y = (y * 1.0 + 0.0) + 1e-3
    f = G.function([x], y)
    np.testing.assert_allclose(f(np.zeros(2)), np.full(2, 3.0), rtol=1e-9)


def test_merge_joins_identical_subgraphs_and_constants():
    x = T.dvector("x")
    y = T.exp(x + 2.0) * T.exp(x + 2.0)
    f = G.function([x], y, mode=G.Mode().excluding("fusion", "inplace"))
    nodes = toposort(f.maker.fgraph.outputs)
    assert sum(isinstance(n.op, Elemwise) and n.op.scalar_op.name == "exp" for n in nodes) == 1
    assert any(r.rule == "merge" for r in f.history)


def test_fusion_makes_one_composite_loop():
    x, y, z = T.dvectors("x", "y", "z")
    out = (x * y + z) * T.exp(-x * x) + y * y * 0.5 - x
    f = G.function([x, y, z], out, mode=G.Mode().excluding("inplace"))
    nodes = [n for n in toposort(f.maker.fgraph.outputs) if isinstance(n.op, Elemwise)]
    assert len(nodes) == 1 and isinstance(nodes[0].op.scalar_op, S.Composite)
    rng = np.random.default_rng(0)
    assert_same_outputs([x, y, z], out, [rng.normal(size=7) for _ in range(3)])


@pytest.mark.parametrize("backend", ["numpy", "c"])
def test_fusion_reads_fill_as_its_value_and_keeps_the_shape(backend):
    """Inside one loop fill(a, y) is y: a is not computed, but its input still sets the shape."""
    x, y = T.dmatrix("x"), T.dvector("y")
    out = T.fill(T.exp(x) + 1, y) * 2.0
    f = G.function([x, y], out, backend=backend)
    node = f.maker.fgraph.outputs[0].owner
    assert node.op.scalar_op.formula() == "(i1 * i2)"  # no exp(i0) + 1, and no constant 1, left
    assert node.inputs[0] is f.maker.fgraph.inputs[0] and len(node.inputs) == 3
    X, Y = np.ones((3, 4)), np.arange(4.0)
    np.testing.assert_array_equal(f(X, Y), np.broadcast_to(Y * 2, (3, 4)))
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(5,\)|\(5,\).*\(3, 4\)|shape"):
        f(X, np.arange(5.0))


@pytest.mark.parametrize("backend", ["numpy", "c"])
def test_a_gradient_alone_does_not_compute_the_cost(backend):
    """grad starts from fill(cost, 1): the fused gradient loop must not evaluate the cost."""
    x, y = T.dmatrix("x"), T.dvector("y")
    w = G.shared(np.linspace(-1, 1, 5), name="w")
    p = 1 / (1 + T.exp(-T.dot(x, w)))
    cost = (-y * T.log(p) - (1 - y) * T.log(1 - p)).mean() + 0.01 * (w ** 2).sum()
    gw = T.grad(cost, w)
    f = G.function([x, y], gw, backend=backend)
    text = G.debugprint(f, file="str")
    assert "softplus" not in text and "log" not in text
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(6, 5)), rng.integers(0, 2, size=6).astype(float)
    expected = G.function([x, y], gw, mode="NO_OPT", backend="numpy")(X, Y)
    np.testing.assert_allclose(f(X, Y), expected, rtol=1e-12)
    P = 1 / (1 + np.exp(-X @ w.get_value()))
    np.testing.assert_allclose(f(X, Y), X.T @ (P - Y) / 6 + 0.02 * w.get_value(), rtol=1e-12)


def test_inplace_never_overwrites_inputs_shared_values_or_constants():
    x = T.dvector("x")
    w = G.shared(np.arange(3.0), name="w")
    f = G.function([x], [T.exp(x) + w, x * 2.0], updates=[(w, w + 1.0)],
                   mode=G.Mode().excluding("fusion"))
    inplace = [n for n in f.maker.fgraph.apply_nodes
               if isinstance(n.op, Elemwise) and n.op.inplace_pattern]
    assert inplace, "the exp result may be overwritten"
    protected = set(f.maker.fgraph.inputs)
    for n in inplace:
        target = n.inputs[n.op.inplace_pattern[0][1]]
        assert target not in protected and target.owner is not None
    xv = np.array([0.0, 1.0, 2.0])
    a, _b = f(xv)
    np.testing.assert_allclose(a, np.exp([0.0, 1.0, 2.0]) + np.arange(3.0))
    np.testing.assert_allclose(xv, [0.0, 1.0, 2.0])
    np.testing.assert_allclose(w.get_value(), np.arange(3.0) + 1)


def test_debugprint_shows_the_optimized_graph():
    x = T.dscalar("x")
    f = G.function([x], T.grad(x ** 2, x))
    text = G.debugprint(f, file="str")
    assert "mul" in text and "pow" not in text


def test_seed_gradient_is_finite_where_the_probability_rounds():
    x, y = T.dmatrix("x"), T.dvector("y")
    w = G.shared(np.ones(3), name="w")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w)))
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    gw = T.grad(xent.mean(), w)
    f = G.function([x, y], [xent, gw])
    xv = np.array([[400.0, 0, 0], [-400.0, 0, 0], [800.0, 0, 0], [-800.0, 0, 0]])
    yv = np.array([0.0, 1.0, 1.0, 0.0])
    cost, grad = f(xv, yv)
    assert np.isfinite(cost).all() and np.isfinite(grad).all()
    np.testing.assert_allclose(cost, [400.0, 400.0, 0.0, 0.0])
    np.testing.assert_allclose(grad, [(400.0 + 400.0) / 4, 0, 0])  # sum of (p - y) * x, / 4
    raw_cost, raw_grad = G.function([x, y], [xent, gw], mode="NO_OPT")(xv, yv)
    assert not np.isfinite(raw_cost).all() or not np.isfinite(raw_grad).all()
