"""Pictures of graphs in two steps: trace a view into nodes and edges (a `Diagram`), then draw DOT.

Two styles:
- `structure_diagram`: the seed tutorial's picture of the data structure. Apply nodes are blue boxes,
  Variables red boxes, Ops green circles, Types purple boxes; edges are the `owner`, `inputs`,
  `outputs`, `op` and `type` references.
- `compact_diagram`: for real graphs. Apply nodes labelled by their op, variables as boxes coloured by
  role (input, shared, constant, output), input positions on the edges.

Every node carries a stable id (`graphlab_kernel.tooling.apply_id` / `variable_id`), which becomes
the `id` of its `<g>` element in the SVG. Labels are HTML-like (never record shapes).
"""

from __future__ import annotations

import html
from collections import defaultdict
from dataclasses import dataclass, field

import graphviz

from graphlab_kernel.tooling import (GraphView, apply_id, constant_text, op_label, type_label,
                                     variable_id)

STRUCTURE_COLOURS = {"apply": "#1f5fbf", "variable": "#c0392b", "op": "#1e8449", "type": "#7d3c98"}
ROLE_COLOURS = {  # fill, border
    "input": ("#d6eaf8", "#2e86c1"),
    "shared": ("#fdebd0", "#ca6f1e"),
    "constant": ("#eaeded", "#7f8c8d"),
    "output": ("#d5f5e3", "#1e8449"),
    "update": ("#fcf3cf", "#b7950b"),
    "inner": ("#ffffff", "#909497"),
}
APPLY_COLOURS = ("#ebf5fb", "#1f5fbf")
ADDED_COLOUR = "#16a34a"
REMOVED_COLOUR = "#dc2626"
DEFAULT_MAX_NODES = 300


@dataclass
class DiagramNode:
    """One box or circle of a picture."""

    id: str
    label: str  # HTML-like label body (already escaped)
    kind: str  # apply | variable | op | type | group
    role: str = ""
    classes: list[str] = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)
    members: list[str] = field(default_factory=list)  # for a group: the ids it stands for


@dataclass
class DiagramEdge:
    """One arrow: `source` -> `target`, with an optional label (a field name or input position)."""

    source: str
    target: str
    label: str = ""
    kind: str = "data"


@dataclass
class Diagram:
    """Nodes and edges, ready to draw."""

    nodes: list[DiagramNode]
    edges: list[DiagramEdge]
    title: str = ""
    collapsed: list[str] = field(default_factory=list)  # ids of group nodes that can be expanded

    def node(self, node_id: str) -> DiagramNode | None:
        return next((n for n in self.nodes if n.id == node_id), None)


def _escape(text: str, limit: int = 48) -> str:
    text = str(text)
    if len(text) > limit:
        text = text[:limit - 1] + "…"
    return html.escape(text)


def _change_classes(node, view: GraphView) -> list[str]:
    if node in view.removed:
        return ["gl-removed"]
    if node in view.added:
        return ["gl-added"]
    return []


def _variable_text(var, view: GraphView) -> tuple[str, str]:
    """(headline, detail) for a variable box."""
    role = view.role(var)
    if role == "constant":
        return constant_text(var, limit=24), type_label(var)
    name = view.label(var)
    return (name or ""), type_label(var)


# -- trace: the structure view -------------------------------------------------------------------

def structure_diagram(view: GraphView, title: str = "") -> Diagram:
    """The seed's picture: Apply (blue), Variable (red), Op (green circle), Type (purple) nodes."""
    nodes: list[DiagramNode] = []
    edges: list[DiagramEdge] = []
    op_ids: dict[object, str] = {}
    type_ids: dict[object, str] = {}
    present = set(view.variables)
    for var in view.variables:
        head, _ = _variable_text(var, view)
        label = f"<B>{_escape(head or str(var))}</B>"
        classes = ["gl-variable", f"gl-role-{view.role(var)}"]
        if var.owner is not None:
            classes += _change_classes(var.owner, view)
        nodes.append(DiagramNode(variable_id(var), label, "variable", view.role(var), classes))
        if var.type not in type_ids:
            type_ids[var.type] = f"t{len(type_ids)}"
            nodes.append(DiagramNode(type_ids[var.type], _escape(var.type), "type", "",
                                     ["gl-type"]))
        edges.append(DiagramEdge(variable_id(var), type_ids[var.type], "type", "type"))
        if var.owner is not None:
            edges.append(DiagramEdge(variable_id(var), apply_id(var.owner), "owner", "owner"))
    for node in view.nodes:
        nid = apply_id(node)
        nodes.append(DiagramNode(nid, "<B>Apply</B>", "apply", "",
                                 ["gl-apply"] + _change_classes(node, view)))
        if node.op not in op_ids:
            op_ids[node.op] = f"o{nid}"
            nodes.append(DiagramNode(op_ids[node.op], _op_circle_label(node.op), "op", "",
                                     ["gl-op"]))
        edges.append(DiagramEdge(nid, op_ids[node.op], "op", "op"))
        inputs = view.inputs(node)
        for position, inp in enumerate(inputs):
            label = f"inputs[{position}]" if len(inputs) > 1 else "inputs"
            edges.append(DiagramEdge(nid, variable_id(inp), label, "inputs"))
        for position, out in enumerate(node.outputs):
            if out in present:
                label = f"outputs[{position}]" if len(node.outputs) > 1 else "outputs"
                edges.append(DiagramEdge(nid, variable_id(out), label, "outputs"))
    return Diagram(nodes, edges, title)


def _op_circle_label(op) -> str:
    name = op.name if isinstance(getattr(op, "name", None), str) else str(op)
    head, brace, rest = name.partition("{")
    if not brace:
        return f"<B>{_escape(head)}</B>"
    return f"<B>{_escape(head)}</B><BR/><FONT POINT-SIZE=\"9\">{_escape(brace + rest)}</FONT>"


# -- trace: the compact view ---------------------------------------------------------------------

def compact_diagram(view: GraphView, title: str = "") -> Diagram:
    """Apply nodes labelled by op; variables as boxes coloured by role; input positions on edges."""
    nodes: list[DiagramNode] = []
    edges: list[DiagramEdge] = []
    present = set()
    for var in view.variables:
        head, detail = _variable_text(var, view)
        label = (f"<B>{_escape(head)}</B><BR/><FONT POINT-SIZE=\"9\">{_escape(detail)}</FONT>"
                 if head else f"<FONT POINT-SIZE=\"9\">{_escape(detail)}</FONT>")
        role = view.role(var)
        classes = ["gl-variable", f"gl-role-{role}"]
        if var.owner is not None:
            classes += _change_classes(var.owner, view)
        nodes.append(DiagramNode(variable_id(var), label, "variable", role, classes))
        present.add(var)
    for node in view.nodes:
        nid = apply_id(node)
        nodes.append(DiagramNode(nid, f"<B>{_escape(op_label(node.op), 60)}</B>", "apply", "",
                                 ["gl-apply"] + _change_classes(node, view)))
        inputs = view.inputs(node)
        for position, inp in enumerate(inputs):
            edges.append(DiagramEdge(variable_id(inp), nid,
                                     str(position) if len(inputs) > 1 else "", "input"))
        for out in node.outputs:
            if out in present:
                edges.append(DiagramEdge(nid, variable_id(out), "", "output"))
    return Diagram(nodes, edges, title)


# -- collapsing big graphs -----------------------------------------------------------------------

def collapse(diagram: Diagram, max_nodes: int = DEFAULT_MAX_NODES,
             expanded: frozenset[str] | set[str] = frozenset()) -> Diagram:
    """Shrink a compact diagram over `max_nodes` nodes: first drop inner variable boxes, then fold
    chains of single-use ops into one group node each (unless their id is in `expanded`), then
    fold whatever lies furthest from the outputs into one group. Group nodes have class
    `gl-collapsed` and are listed in `diagram.collapsed`."""
    if len(diagram.nodes) <= max_nodes:
        return diagram
    diagram = _drop_inner_variables(diagram)
    if len(diagram.nodes) > max_nodes:
        diagram = _fold_chains(diagram, expanded)
    if len(diagram.nodes) > max_nodes and "g-rest" not in expanded:
        diagram = _fold_far(diagram, max_nodes)
    return diagram


def _drop_inner_variables(diagram: Diagram) -> Diagram:
    inner = {n.id for n in diagram.nodes if n.kind == "variable" and n.role == "inner"}
    producer = {e.target: e.source for e in diagram.edges if e.target in inner}
    edges = [DiagramEdge(producer.get(e.source, e.source), e.target, e.label, e.kind)
             for e in diagram.edges if e.target not in inner]
    nodes = [n for n in diagram.nodes if n.id not in inner]
    return Diagram(nodes, edges, diagram.title, list(diagram.collapsed))


def _fold_chains(diagram: Diagram, expanded) -> Diagram:
    applies = {n.id: n for n in diagram.nodes if n.kind == "apply"}
    succ: dict[str, set[str]] = defaultdict(set)
    pred: dict[str, set[str]] = defaultdict(set)
    for e in diagram.edges:
        if e.source in applies and e.target in applies:
            succ[e.source].add(e.target)
            pred[e.target].add(e.source)

    def links(a: str) -> str | None:
        """The next node of a's chain, if a feeds exactly one op that only a feeds."""
        if len(succ[a]) == 1:
            b = next(iter(succ[a]))
            if len(pred[b]) == 1 and not _is_output_producer(diagram, a):
                return b
        return None

    group_of: dict[str, str] = {}
    groups: list[list[str]] = []
    for a in applies:
        if a in group_of or any(links(p) == a for p in pred[a]):
            continue  # not the head of a chain
        chain = [a]
        while (nxt := links(chain[-1])) is not None and nxt not in group_of:
            chain.append(nxt)
        if len(chain) >= 3 and f"g{a}" not in expanded:
            groups.append(chain)
            for member in chain:
                group_of[member] = f"g{a}"
    if not groups:
        return diagram
    nodes = [n for n in diagram.nodes if n.id not in group_of]
    for chain in groups:
        ops = [applies[m].label for m in chain]
        summary = " → ".join(_strip_tags(o) for o in ops[:4]) + (" → …" if len(ops) > 4 else "")
        label = (f"<B>{len(chain)} ops</B><BR/><FONT POINT-SIZE=\"9\">{_escape(summary, 80)}"
                 f"</FONT>")
        nodes.append(DiagramNode(f"g{chain[0]}", label, "group", "", ["gl-group", "gl-collapsed"],
                                 members=chain))
    edges = []
    seen = set()
    for e in diagram.edges:
        s, t = group_of.get(e.source, e.source), group_of.get(e.target, e.target)
        if s == t or (s, t, e.label) in seen:
            continue
        seen.add((s, t, e.label))
        edges.append(DiagramEdge(s, t, e.label, e.kind))
    return Diagram(nodes, edges, diagram.title,
                   diagram.collapsed + [f"g{chain[0]}" for chain in groups])


def _is_output_producer(diagram: Diagram, node_id: str) -> bool:
    roles = {n.id: n.role for n in diagram.nodes}
    return any(e.source == node_id and roles.get(e.target) in ("output", "update")
               for e in diagram.edges)


def _strip_tags(label: str) -> str:
    import re
    return html.unescape(re.sub(r"<[^>]+>", "", label))


def _fold_far(diagram: Diagram, max_nodes: int) -> Diagram:
    """Keep the `max_nodes` nodes nearest the outputs (breadth first, against the edges)."""
    preds: dict[str, list[str]] = defaultdict(list)
    for e in diagram.edges:
        preds[e.target].append(e.source)
    has_succ = {e.source for e in diagram.edges}
    frontier = [n.id for n in diagram.nodes if n.id not in has_succ]
    keep: list[str] = []
    kept = set()
    while frontier and len(keep) < max_nodes - 1:
        nxt = []
        for nid in frontier:
            if nid not in kept and len(keep) < max_nodes - 1:
                kept.add(nid)
                keep.append(nid)
                nxt.extend(preds[nid])
        frontier = nxt
    rest = [n.id for n in diagram.nodes if n.id not in kept]
    nodes = [n for n in diagram.nodes if n.id in kept]
    label = f"<B>{len(rest)} more nodes</B><BR/><FONT POINT-SIZE=\"9\">click to expand</FONT>"
    nodes.append(DiagramNode("g-rest", label, "group", "", ["gl-group", "gl-collapsed"],
                             members=rest))
    edges, seen = [], set()
    for e in diagram.edges:
        s = e.source if e.source in kept else "g-rest"
        t = e.target if e.target in kept else "g-rest"
        if s == t or (s, t) in seen:
            continue
        seen.add((s, t))
        edges.append(DiagramEdge(s, t, "", e.kind))
    return Diagram(nodes, edges, diagram.title, diagram.collapsed + ["g-rest"])


# -- colour: where the time goes ------------------------------------------------------------------

HEAT_COLOURS = ("#fef9e7", "#e74c3c")  # no time, the slowest node


def _blend(a: str, b: str, t: float) -> str:
    ca = [int(a[k:k + 2], 16) for k in (1, 3, 5)]
    cb = [int(b[k:k + 2], 16) for k in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ca, cb))


def with_heat(diagram: Diagram, times: dict[str, tuple[float, str]]) -> Diagram:
    """The diagram with each timed Apply node (`times`: id -> (share of the call, the time per
    call as text)) filled from pale to red by its time relative to the slowest node, and its
    share and time written under its op."""
    slowest = max((share for share, _ in times.values()), default=0.0) or 1.0
    nodes = []
    for node in diagram.nodes:
        timed = times.get(node.id)
        if timed is None or node.kind != "apply":
            nodes.append(node)
            continue
        share, per_call = timed
        t = share / slowest
        fill = _blend(*HEAT_COLOURS, t)
        label = (f"{node.label}<BR/><FONT POINT-SIZE=\"9\">{100 * share:.1f}% · "
                 f"{_escape(per_call)}</FONT>")
        attrs = {"fillcolor": fill, "fontcolor": "white" if t > 0.6 else "black"}
        nodes.append(DiagramNode(node.id, label, node.kind, node.role,
                                 node.classes + ["gl-timed"], {**node.attrs, **attrs},
                                 node.members))
    return Diagram(nodes, diagram.edges, diagram.title, diagram.collapsed)


# -- draw: DOT -----------------------------------------------------------------------------------

def _node_attrs(node: DiagramNode, style: str) -> dict[str, str]:
    attrs = {"id": node.id, "class": " ".join(["gl-node", f"gl-kind-{node.kind}"] + node.classes)}
    if style == "structure":
        colour = STRUCTURE_COLOURS.get(node.kind, "#555555")
        shape = {"op": "circle", "apply": "box", "variable": "box", "type": "box"}.get(node.kind,
                                                                                       "box")
        attrs.update(shape=shape, style="filled", fillcolor=colour, fontcolor="white",
                     color=colour)
    elif node.kind == "variable":
        fill, border = ROLE_COLOURS.get(node.role, ROLE_COLOURS["inner"])
        attrs.update(shape="box", style="rounded,filled", fillcolor=fill, color=border)
    elif node.kind == "group":
        attrs.update(shape="box3d", style="filled", fillcolor="#f4ecf7", color="#7d3c98")
    else:
        fill, border = APPLY_COLOURS
        attrs.update(shape="ellipse", style="filled", fillcolor=fill, color=border)
    if "gl-added" in node.classes:
        attrs.update(color=ADDED_COLOUR, penwidth="3")
    elif "gl-removed" in node.classes:
        attrs.update(color=REMOVED_COLOUR, penwidth="2", style=attrs.get("style", "") + ",dashed",
                     fontcolor=REMOVED_COLOUR if style != "structure" else "white")
    attrs.update(node.attrs)  # a picture's own colouring (with_heat) comes last
    attrs["tooltip"] = node.id
    return attrs


def to_graphviz(diagram: Diagram, style: str = "compact") -> graphviz.Digraph:
    """Draw a diagram as a graphviz Digraph (node names are the stable ids)."""
    dot = graphviz.Digraph(name=diagram.title or "graph")
    dot.attr(rankdir="BT" if style == "compact" else "LR", fontname="Helvetica",
             fontsize="11", nodesep="0.25", ranksep="0.35")
    dot.attr("node", fontname="Helvetica", fontsize="11", margin="0.08,0.04", height="0.3")
    dot.attr("edge", fontname="Helvetica", fontsize="9", color="#566573", arrowsize="0.7")
    for node in diagram.nodes:
        dot.node(node.id, f"<{node.label}>", **_node_attrs(node, style))
    for k, edge in enumerate(diagram.edges):
        attrs = {"id": f"e{k}-{edge.source}-{edge.target}", "class": f"gl-edge gl-edge-{edge.kind}"}
        if edge.label:
            attrs["label"] = edge.label
        dot.edge(edge.source, edge.target, **attrs)
    return dot


def to_dot(diagram: Diagram, style: str = "compact") -> str:
    """The DOT source of a diagram."""
    return to_graphviz(diagram, style).source


def diagram_of(view: GraphView, style: str = "compact", title: str = "",
               max_nodes: int = DEFAULT_MAX_NODES, expanded=frozenset()) -> Diagram:
    """Trace a view in the given style ('compact' or 'structure'), collapsing it if it is big."""
    if style == "structure":
        return structure_diagram(view, title)
    if style != "compact":
        raise ValueError(f"unknown picture style {style!r}; use 'compact' or 'structure'")
    return collapse(compact_diagram(view, title), max_nodes, expanded)
