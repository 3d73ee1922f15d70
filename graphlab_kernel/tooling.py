"""Read-only helpers for tools that show graphs (the Jupyter extension, printers, tests).

This is the one module besides the public API (`graphlab_kernel.__all__`) that display tools may
import. It only reads graphs: it traces them, classifies their variables by role, replays a compiled
function's rewrite history step by step (via `graph_at_step`), describes nodes in plain data, and
finds the compiled body of a node that holds one (a loop's, `inner_function`). It never imports
IPython, graphviz or widgets.

A *view* is the graph as it stands at one moment: for symbolic variables, the graph that computes
them; for a compiled function, its optimized graph after any number of rewrite steps.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graphlab_kernel.compile.function import Function
from graphlab_kernel.compile.profiling import format_seconds
from graphlab_kernel.compile.shared import SharedVariable
from graphlab_kernel.gof.fg import FunctionGraph, RewriteRecord, graph_at_step
from graphlab_kernel.gof.graph import Apply, Constant, Variable
from graphlab_kernel.printing import walk_tree

__all__ = ["ROLES", "GraphView", "HistoryReplay", "apply_id", "describe_node", "describe_variable",
           "graph_text", "inner_function", "node_times", "op_label", "python_nodes", "trace",
           "type_label", "variable_id", "view_of_function", "view_of_variables"]

# The role of a variable in a view, in the order a legend lists them.
ROLES = ("input", "shared", "constant", "output", "update", "inner")


def variable_id(var: Variable) -> str:
    """A stable identifier for `var`: the same in every view and every step of a history."""
    return f"v{var.id}"


def apply_id(node: Apply) -> str:
    """A stable identifier for `node` (named after its first output)."""
    return f"a{node.outputs[0].id}"


def trace(outputs: Iterable[Variable], inputs_of: dict[Apply, list[Variable]] | None = None,
          blockers: Iterable[Variable] = ()) -> tuple[list[Apply], list[Variable]]:
    """The Apply nodes (each after those it depends on) and Variables (inputs first) of a graph.

    `inputs_of[node]`, where present, overrides `node.inputs` (a graph as it stood at an earlier
    rewrite step). Traversal stops at `blockers`. Iterative, so depth is unbounded.
    """
    inputs_of = inputs_of or {}
    blocked = {id(b) for b in blockers}
    nodes: list[Apply] = []
    variables: list[Variable] = []
    seen_vars: set[int] = set()
    seen_nodes: set[int] = set()

    def add_var(v: Variable) -> None:
        if id(v) not in seen_vars:
            seen_vars.add(id(v))
            variables.append(v)

    for root in outputs:
        stack: list[tuple[Variable, bool]] = [(root, False)]
        while stack:
            var, expanded = stack.pop()
            node = var.owner
            if node is None or id(var) in blocked:
                add_var(var)
                continue
            if expanded:
                if id(node) not in seen_nodes:
                    seen_nodes.add(id(node))
                    nodes.append(node)
                    for out in node.outputs:
                        add_var(out)
                continue
            if id(node) in seen_nodes:
                continue
            stack.append((var, True))
            for inp in reversed(inputs_of.get(node, node.inputs)):
                if id(inp) not in seen_vars:
                    stack.append((inp, False))
    order = {id(v): i for i, v in enumerate(variables)}
    variables.sort(key=lambda v: (v.owner is not None and id(v) not in blocked, order[id(v)]))
    return nodes, variables


@dataclass
class GraphView:
    """A graph at one moment: its nodes, variables, each node's inputs, and each variable's role.

    `removed` and `added` are the nodes one rewrite step took out and put in; removed nodes are
    included in `nodes` (with their inputs as they were) so a picture can show them struck out.
    """

    outputs: list[Variable]
    nodes: list[Apply]
    variables: list[Variable]
    inputs_of: dict[Apply, list[Variable]] = field(default_factory=dict)
    roles: dict[Variable, str] = field(default_factory=dict)
    labels: dict[Variable, str] = field(default_factory=dict)
    removed: set[Apply] = field(default_factory=set)
    added: set[Apply] = field(default_factory=set)

    def inputs(self, node: Apply) -> list[Variable]:
        """The inputs of `node` in this view."""
        return self.inputs_of.get(node, node.inputs)

    def role(self, var: Variable) -> str:
        """One of ROLES."""
        return self.roles.get(var, "inner")

    def label(self, var: Variable) -> str:
        """The name to show for `var`: its own, or the one the view gives it (e.g. `update of W`)."""
        return self.labels.get(var) or (var.name or "")

    def find(self, identifier: str) -> Apply | Variable | None:
        """The node or variable with this stable id (see `apply_id`, `variable_id`)."""
        for node in self.nodes:
            if apply_id(node) == identifier:
                return node
        for var in self.variables:
            if variable_id(var) == identifier:
                return var
        return None


def _free_role(var: Variable) -> str:
    if isinstance(var, Constant):
        return "constant"
    if isinstance(var, SharedVariable):
        return "shared"
    return "input"


def view_of_variables(outputs: Sequence[Variable], names: Sequence[str | None] = ()) -> GraphView:
    """The graph that computes `outputs`, before any optimization; `names` label the outputs."""
    outputs = list(outputs)
    nodes, variables = trace(outputs)
    roles = {v: _free_role(v) for v in variables if v.owner is None}
    labels: dict[Variable, str] = {}
    for i, out in enumerate(outputs):
        if out.owner is not None:
            roles[out] = "output"
        name = names[i] if i < len(names) else None
        if name and not out.name:
            labels[out] = name
    return GraphView(outputs, nodes, variables, roles=roles, labels=labels)


def _function_roles(f: Function) -> tuple[dict[Variable, str], list[tuple[str, str | None]]]:
    """Roles of the inputs of `f`'s FunctionGraph (which holds clones), and (role, label) for
    each of its outputs: the function's outputs, then the new values of its shared variables."""
    fgraph = f.maker.fgraph
    n_inputs, n_outputs = len(f.maker.inputs), len(f.maker.outputs)
    input_roles = {var: "input" if i < n_inputs else "shared"
                   for i, var in enumerate(fgraph.inputs)}
    targets = [s for s, _ in f.maker.updates]
    output_roles: list[tuple[str, str | None]] = [("output", None)] * n_outputs
    output_roles += [("update", f"update of {t}") for t in targets]
    return input_roles, output_roles


def _resolve_outputs(outputs: list[Variable], input_roles: dict[Variable, str],
                     output_roles: list[tuple[str, str | None]]) -> tuple[dict, dict]:
    roles = dict(input_roles)
    labels: dict[Variable, str] = {}
    for out, (role, label) in zip(outputs, output_roles):
        if out.owner is None:
            continue  # an input or constant passed straight through keeps its own role
        roles.setdefault(out, role)
        if label and not out.name:
            labels.setdefault(out, label)
    return roles, labels


class HistoryReplay:
    """A compiled function's optimization, replayable step by step.

    Step 0 is the graph as it was handed to the optimizer; step `len(history)` is the final graph.
    """

    def __init__(self, f: Function):
        self.function = f
        self.fgraph: FunctionGraph = f.maker.fgraph
        self.history: list[RewriteRecord] = list(self.fgraph.history)
        self._input_roles, self._output_roles = _function_roles(f)
        self._states: dict[int, tuple[list[Variable], dict, list[Apply], list[Variable]]] = {}
        self._creators: dict[Apply, int] | None = None

    @property
    def n_steps(self) -> int:
        return len(self.history)

    def record(self, step: int) -> RewriteRecord | None:
        """The rewrite applied at `step` (1-based), or None for step 0."""
        return self.history[step - 1] if 1 <= step <= self.n_steps else None

    def _state(self, step: int):
        if step not in self._states:
            outputs, inputs_of = graph_at_step(self.fgraph, step)
            nodes, variables = trace(outputs, inputs_of, blockers=self.fgraph.inputs)
            self._states[step] = (outputs, inputs_of, nodes, variables)
        return self._states[step]

    def view(self, step: int | None = None, show_changes: bool = True) -> GraphView:
        """The graph after `step` rewrites (default: all). With `show_changes`, the nodes that
        step removed are included and marked, and the nodes it added are marked."""
        step = self.n_steps if step is None else max(0, min(step, self.n_steps))
        outputs, inputs_of, nodes, variables = self._state(step)
        roles, labels = _resolve_outputs(outputs, self._input_roles, self._output_roles)
        for v in variables:
            if v.owner is None and v not in roles:
                roles[v] = _free_role(v)
        view = GraphView(list(outputs), list(nodes), list(variables), dict(inputs_of), roles,
                         labels)
        if show_changes and step > 0:
            _, before_inputs, before_nodes, before_vars = self._state(step - 1)
            current = set(nodes)
            view.added = current - set(before_nodes)
            view.removed = {n for n in before_nodes if n not in current}
            for node in before_nodes:
                if node in view.removed:
                    view.nodes.append(node)
                    view.inputs_of[node] = list(before_inputs.get(node, node.inputs))
            known = set(variables)
            for v in before_vars:
                if v not in known:
                    view.variables.append(v)
                    if v.owner is None:
                        view.roles.setdefault(v, _free_role(v))
        return view

    def creators(self) -> dict[Apply, int]:
        """For every node that ever appeared, the step that first put it in the graph (0: the
        original graph)."""
        if self._creators is None:
            self._creators = {}
            for step in range(self.n_steps + 1):
                for node in self._state(step)[2]:
                    self._creators.setdefault(node, step)
        return self._creators

    def text(self, step: int | None = None) -> str:
        """The graph after `step` rewrites, printed one variable per line (for text diffs)."""
        return graph_text(self.view(step, show_changes=False))


def view_of_function(f: Function, step: int | None = None) -> GraphView:
    """The graph `f` runs (after `step` rewrites if given; 0 is the unoptimized graph)."""
    return HistoryReplay(f).view(step, show_changes=False)


def inner_function(node: Apply, within: Function | None = None) -> Function | None:
    """The compiled function `node`'s op runs as its body (a `Scan`'s loop body), or None for an
    op without one.

    An op offers a body through a `body(backend)` method returning a `Function`. With `within`,
    the function holding `node`, the body is the one `within` runs (compiled for the backend its
    loops run on); without, the body compiled for the default backend. Either may compile it now.
    """
    body = getattr(node.op, "body", None)
    if not callable(body):
        return None
    # the backend a NumPy run compiles bodies for (C for one standing in for the C backend)
    backend = getattr(within._run, "inner_backend", None) if within is not None else None
    compiled = body(backend)
    return compiled if isinstance(compiled, Function) else None


def node_times(f: Function) -> dict[str, tuple[float, str]]:
    """Where a profiled function's calls went (`function(..., profile=True)`): for each node timed
    one by one, its id -> (its share of the calls' whole time, its time per call as text). Empty
    for a function not profiled, or not called since its profile was last reset."""
    profile = f.profile
    if profile is None or not profile.calls or not profile.seconds:
        return {}
    whole, calls = profile.seconds, profile.calls
    return {apply_id(node): (seconds / whole, f"{format_seconds(seconds / calls)}/call")
            for node, seconds in profile.node_seconds().items()}


def python_nodes(f: Function) -> list[Apply]:
    """The nodes of a function compiled to C that run as calls from the C back into Python
    (ops with no C form: a loop, a Print, an op with only a NumPy perform)."""
    found = getattr(f._run, "python_nodes", None)
    return list(found.nodes) if found is not None else []


def op_label(op: Any) -> str:
    """A short label for an op: `add` for an elementwise add, the formula of a fused op."""
    scalar_op = getattr(op, "scalar_op", None)
    if scalar_op is None:
        return str(op)
    inplace = " (inplace)" if getattr(op, "inplace_pattern", None) else ""
    formula = getattr(scalar_op, "formula", None)
    if formula is not None:
        return f"fused: {formula()}{inplace}"
    return f"{scalar_op.name}{inplace}"


_RANK_WORDS = {0: "scalar", 1: "vector", 2: "matrix"}


def type_label(var: Variable) -> str:
    """A short text for a variable's type: `float64 matrix`, `int32 (True, False)`."""
    t = var.type
    bcast = getattr(t, "broadcastable", None)
    dtype = getattr(t, "dtype", None)
    if bcast is None or dtype is None:
        return str(t)
    if not any(bcast) and len(bcast) in _RANK_WORDS:
        return f"{dtype} {_RANK_WORDS[len(bcast)]}"
    pattern = "".join("1" if b else "n" for b in bcast)
    return f"{dtype} {len(bcast)}-d ({pattern})"


def constant_text(var: Constant, limit: int = 60) -> str:
    """A constant's value as short text."""
    data = np.asarray(var.data)
    text = np.array2string(data, threshold=8, edgeitems=2, separator=", ").replace("\n", "")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def describe_variable(var: Variable, view: GraphView) -> dict[str, Any]:
    """Plain facts about a variable: name, role, type, dtype, broadcastable, value of a constant."""
    t = var.type
    facts: dict[str, Any] = {
        "kind": "variable",
        "id": variable_id(var),
        "name": view.label(var) or str(var),
        "role": view.role(var),
        "type": str(t),
        "dtype": getattr(t, "dtype", None),
        "broadcastable": list(getattr(t, "broadcastable", ())),
    }
    if var.owner is not None:
        facts["owner"] = op_label(var.owner.op)
        facts["owner_id"] = apply_id(var.owner)
    if isinstance(var, Constant):
        facts["value"] = constant_text(var, limit=400)
    return facts


def describe_node(node: Apply, view: GraphView, created_at: int | None = None,
                  record: RewriteRecord | None = None) -> dict[str, Any]:
    """Plain facts about an Apply node: the op and its properties, its inputs and outputs, and
    the rewrite that created it (when known)."""
    op = node.op
    props = op.props_dict() if hasattr(op, "props_dict") else {}
    facts: dict[str, Any] = {
        "kind": "apply",
        "id": apply_id(node),
        "op": str(op),
        "label": op_label(op),
        "op_class": type(op).__name__,
        "props": {k: _prop_text(v) for k, v in props.items()},
        "inputs": [view.label(v) or str(v) for v in view.inputs(node)],
        "outputs": [view.label(v) or str(v) for v in node.outputs],
        "output_types": [str(v.type) for v in node.outputs],
        "dtype": getattr(node.outputs[0].type, "dtype", None),
        "broadcastable": list(getattr(node.outputs[0].type, "broadcastable", ())),
    }
    formula = getattr(getattr(op, "scalar_op", None), "formula", None)
    if formula is not None:
        facts["formula"] = formula()
    if created_at is not None:
        facts["created_at"] = created_at
        facts["created_by"] = ("the original graph" if record is None
                               else f"#{record.step} {record.rule}")
        if record is not None:
            facts["created_by_doc"] = record.doc
    return facts


def _prop_text(value: Any) -> str:
    name = getattr(value, "name", None)
    if isinstance(name, str) and not isinstance(value, (str, bytes)):
        return name
    return str(value)


def graph_text(view: GraphView) -> str:
    """The graph of a view as an indented tree, one line per variable, a shared node printed once
    (later uses refer to it by id). Removed nodes are not printed."""
    ids: dict[Apply, str] = {}
    lines: list[str] = []
    for k, root in enumerate(view.outputs):
        if view.label(root) and root.owner is not None and not root.name:
            lines.append(f"{view.label(root)}:")
        for var, depth, repeated in walk_tree(root, ids, view.inputs):
            pad = "  " * depth
            node = var.owner
            if node is None:
                lines.append(f"{pad}{view.label(var) or var} [{view.role(var)}]")
                continue
            if repeated:
                lines.append(f"{pad}{op_label(node.op)} [id {ids[node]}] ...")
                continue
            ids[node] = str(len(ids))
            name = f" '{var.name}'" if var.name else ""
            lines.append(f"{pad}{op_label(node.op)} [id {ids[node]}]{name} <{type_label(var)}>")
    return "\n".join(lines)
