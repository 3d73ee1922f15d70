"""graphlab_kernel.tooling: tracing, roles, and replaying a rewrite history."""

from __future__ import annotations

import graphlab_kernel as G
import graphlab_kernel.tensor as T
from graphlab_kernel.tooling import (HistoryReplay, apply_id, describe_node, describe_variable,
                                     graph_text, op_label, trace, view_of_variables)


def test_trace_is_iterative_on_deep_graphs():
    x = T.dscalar("x")
    y = x
    for _ in range(3000):
        y = y + 1
    nodes, variables = trace([y])
    assert len(nodes) == 3000
    assert variables[0] is x


def test_roles_of_a_plain_expression():
    x = T.dvector("x")
    w = G.shared([1.0, 2.0], name="w")
    z = T.dot(x, w) + 2
    view = view_of_variables([z], ["z"])
    roles = {view.label(v) or str(v): view.role(v) for v in view.variables}
    assert roles["x"] == "input" and roles["w"] == "shared" and roles["z"] == "output"
    assert "constant" in roles.values()


def test_roles_of_a_function_with_updates(rewritten):
    state = G.shared(0, name="state")
    inc = T.iscalar("inc")
    acc = G.function([inc], state, updates=[(state, state + inc)], mode="NO_OPT")
    view = HistoryReplay(acc).view()
    by_role = {}
    for v in view.variables:
        by_role.setdefault(view.role(v), []).append(view.label(v) or str(v))
    assert by_role["input"] == ["inc"]
    assert "state" in by_role["shared"]
    assert by_role["update"] == ["update of state"]


def test_replay_marks_added_and_removed_nodes(rewritten):
    replay = HistoryReplay(rewritten)
    assert replay.n_steps == 1
    start, end = replay.view(0), replay.view(1)
    assert [op_label(n.op) for n in start.nodes].count("mul") == 1
    assert "mul" not in [op_label(n.op) for n in replay.view(1, show_changes=False).nodes]
    assert {op_label(n.op) for n in end.removed} >= {"mul"}
    assert end.added == set()  # the replacement (x) is an input, not a new node
    assert replay.record(1).rule == "mul_by_one"
    assert replay.creators()[rewritten.maker.fgraph.outputs[0].owner] == 0


def test_graph_text_follows_the_step(rewritten):
    replay = HistoryReplay(rewritten)
    assert "mul" in replay.text(0) and "mul" not in replay.text(1)
    assert graph_text(replay.view(1, show_changes=False)) == replay.text(1)


def test_describe_node_and_constant(rewritten):
    replay = HistoryReplay(rewritten)
    view = replay.view(0)
    mul = next(n for n in view.nodes if op_label(n.op) == "mul")
    facts = describe_node(mul, view, 0, None)
    assert facts["id"] == apply_id(mul) and facts["op_class"] == "Elemwise"
    assert facts["props"]["scalar_op"] == "mul" and facts["created_by"] == "the original graph"
    constant = next(v for v in view.variables if view.role(v) == "constant")
    assert describe_variable(constant, view)["value"] == "1"
