"""Pictures: the traced nodes and edges, the DOT source, the SVG, collapsing, and no `dot`."""

from __future__ import annotations

import re

import pytest

import graphlab_kernel.tensor as T
from graphlab_kernel.tooling import HistoryReplay, view_of_variables

from graphlab_extension import render
from graphlab_extension.diagram import (ROLE_COLOURS, STRUCTURE_COLOURS, compact_diagram,
                                        diagram_of, structure_diagram, to_dot)
from graphlab_extension.render import DotMissing, svg_of


def seed_graph():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    return x, y, x + y


def test_structure_view_of_the_seed_diagram():
    x, _y, z = seed_graph()
    diagram = structure_diagram(view_of_variables([z], ["z"]))
    kinds = sorted(n.kind for n in diagram.nodes)
    assert kinds == ["apply", "op", "type", "variable", "variable", "variable"]
    labels = sorted(e.label for e in diagram.edges)
    assert labels == ["inputs[0]", "inputs[1]", "op", "outputs", "owner", "type", "type", "type"]
    dot = to_dot(diagram, "structure")
    for kind, colour in STRUCTURE_COLOURS.items():
        assert colour in dot, kind
    assert "shape=circle" in dot and "record" not in dot
    assert f"v{x.id} " in dot and f"a{z.id} " in dot


def test_compact_view_colours_roles_and_numbers_inputs():
    _x, _y, z = seed_graph()
    w = z * 2
    diagram = compact_diagram(view_of_variables([w], ["w"]))
    roles = {n.role for n in diagram.nodes if n.kind == "variable"}
    assert {"input", "constant", "output", "inner"} <= roles
    dot = to_dot(diagram)
    assert ROLE_COLOURS["input"][0] in dot and ROLE_COLOURS["output"][0] in dot
    assert 'label=0' in dot and 'label=1' in dot
    assert sum(1 for n in diagram.nodes if n.kind == "apply") == 3  # add, dimshuffle, mul


def test_svg_has_stable_ids_and_classes():
    x, y, z = seed_graph()
    svg = svg_of(diagram_of(view_of_variables([z], ["z"])))
    assert svg.startswith("<svg") and 'class="gl-graph gl-style-compact"' in svg
    ids = re.findall(r'<g id="([^"]+)" data-node-id="\1" class="node', svg)
    assert sorted(ids) == sorted([f"v{x.id}", f"v{y.id}", f"v{z.id}", f"a{z.id}"])
    assert "gl-role-input" in svg and "&#45;" not in svg.split("<title>")[1].split("class=")[0]
    # the same graph drawn again has the same ids
    assert svg == svg_of(diagram_of(view_of_variables([z], ["z"])))


def test_step_pictures_highlight_changes(rewritten):
    replay = HistoryReplay(rewritten)
    svg = svg_of(diagram_of(replay.view(1)))
    removed = re.findall(r'data-node-id="([^"]+)" class="node[^"]*gl-removed', svg)
    assert removed and all(i.startswith(("a", "v")) for i in removed)


def test_big_graphs_collapse_and_expand():
    x = T.dvector("x")
    y = x
    for i in range(300):
        y = T.exp(y) * 2 if i % 40 else y + x
    view = view_of_variables([y], ["y"])
    full = compact_diagram(view)
    assert len(full.nodes) > 1000
    small = diagram_of(view, max_nodes=300)
    assert len(small.nodes) <= 300 and small.collapsed
    groups = [n for n in small.nodes if "gl-collapsed" in n.classes]
    assert groups and all(n.members for n in groups)
    opened = diagram_of(view, max_nodes=300, expanded={groups[0].id})
    assert groups[0].id not in {n.id for n in opened.nodes}
    svg = svg_of(small)
    assert "gl-collapsed" in svg


def test_without_dot_there_is_one_clear_message(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert not render.dot_available()
    _x, _y, z = seed_graph()
    with pytest.raises(DotMissing, match="apt-get install graphviz"):
        svg_of(diagram_of(view_of_variables([z])))
    # DOT text can still be saved
    out = render.save(diagram_of(view_of_variables([z])), tmp_path / "g.dot")
    assert out.read_text().startswith("digraph")
