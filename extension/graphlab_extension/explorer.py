"""The rewrite explorer: a widget showing a compiled function's graph before and after optimization,
stepping through its rewrites, with node details, a text diff, the generated C source and search."""

from __future__ import annotations

import difflib

import anywidget
import traitlets

from graphlab_kernel import Function
from graphlab_kernel.tooling import (GraphView, HistoryReplay, apply_id, describe_node,
                                     describe_variable, variable_id)

from graphlab_extension import frontend
from graphlab_extension.diagram import DEFAULT_MAX_NODES, diagram_of
from graphlab_extension.render import DotMissing, code_text, svg_of

MODES = ("before", "after", "steps", "code")


class Explorer(anywidget.AnyWidget):
    """Explore how a compiled function was optimized.

    Python and the browser share these traits: `mode` (before | after | steps | code), `step`
    (0..n_steps, for mode 'steps'), `selected` (a node id; `details` describes it), `query`
    (`matches` lists the ids of variables whose name contains it), `expanded` (ids of collapsed
    groups to open). Rendered state: `svg` (or `text` without graphviz), `rule`, `doc`, `diff`,
    `added`, `removed` (node ids changed by the step), `c_source`.
    """

    _esm = frontend.EXPLORER_JS
    css = traitlets.Unicode(frontend.CSS).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    mode = traitlets.Enum(MODES, "after").tag(sync=True)
    style = traitlets.Enum(("compact", "structure"), "compact").tag(sync=True)
    step = traitlets.Int(0).tag(sync=True)
    n_steps = traitlets.Int(0).tag(sync=True)
    svg = traitlets.Unicode("").tag(sync=True)
    text = traitlets.Unicode("").tag(sync=True)
    rule = traitlets.Unicode("").tag(sync=True)
    doc = traitlets.Unicode("").tag(sync=True)
    diff = traitlets.Unicode("").tag(sync=True)
    added = traitlets.List(traitlets.Unicode()).tag(sync=True)
    removed = traitlets.List(traitlets.Unicode()).tag(sync=True)
    selected = traitlets.Unicode("").tag(sync=True)
    details = traitlets.Dict().tag(sync=True)
    query = traitlets.Unicode("").tag(sync=True)
    matches = traitlets.List(traitlets.Unicode()).tag(sync=True)
    expanded = traitlets.List(traitlets.Unicode()).tag(sync=True)
    c_source = traitlets.Unicode("").tag(sync=True)
    show_code_tab = traitlets.Bool(True).tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)
    max_nodes = traitlets.Int(DEFAULT_MAX_NODES).tag(sync=True)

    def __repr__(self) -> str:
        return f"<Explorer {self.title}, showing {self.mode}>"

    def __init__(self, function: Function, name: str = "", mode: str = "after",
                 style: str = "compact", max_nodes: int = DEFAULT_MAX_NODES, **kwargs):
        self._replay = HistoryReplay(function)
        self._function = function
        self._cache: dict[tuple, tuple[str, str]] = {}
        self._view: GraphView | None = None
        n = self._replay.n_steps
        label = name or function.name or "function"
        super().__init__(title=f"{label}: {n} rewrite{'s' if n != 1 else ''}, backend "
                               f"{function.backend}", n_steps=n, style=style,
                         max_nodes=max_nodes, **kwargs)
        self.c_source = code_text(function, label)
        self.set_trait("step", n if mode != "steps" or n == 0 else 1)
        self.set_trait("mode", mode)
        self._redraw()

    # -- what is drawn -----------------------------------------------------------------------------

    def _current_view(self) -> GraphView:
        if self.mode == "before":
            return self._replay.view(0, show_changes=False)
        if self.mode == "steps":
            return self._replay.view(self.step, show_changes=True)
        return self._replay.view(None, show_changes=False)

    def _redraw(self) -> None:
        view = self._current_view()
        self._view = view
        key = (self.mode if self.mode != "code" else "after", self.step if self.mode == "steps"
               else -1, self.style, tuple(sorted(self.expanded)), self.max_nodes)
        if key not in self._cache:
            self._cache[key] = self._picture(view)
        svg, text = self._cache[key]
        record = self._replay.record(self.step) if self.mode == "steps" else None
        with self.hold_sync():
            self.rule = record.rule if record else ("" if self.mode != "steps" else
                                                    "step 0: the graph before any rewrite")
            self.doc = record.doc if record else ""
            self.diff = self._diff() if self.mode == "steps" else ""
            self.added = sorted(apply_id(n) for n in view.added)
            self.removed = sorted(apply_id(n) for n in view.removed)
            self.svg, self.text = svg, text
            self._update_details()
            self._update_matches()

    def _picture(self, view: GraphView) -> tuple[str, str]:
        diagram = diagram_of(view, self.style, max_nodes=self.max_nodes,
                             expanded=frozenset(self.expanded))
        try:
            return svg_of(diagram, self.style), ""
        except DotMissing as missing:
            self.message = str(missing)
            return "", self._replay.text(self.step if self.mode == "steps" else
                                         0 if self.mode == "before" else None)

    def _diff(self) -> str:
        if self.step == 0:
            return ""
        before = self._replay.text(self.step - 1).splitlines()
        after = self._replay.text(self.step).splitlines()
        return "\n".join(difflib.unified_diff(before, after, f"step {self.step - 1}",
                                              f"step {self.step}", lineterm="", n=2))

    def _update_details(self) -> None:
        view = self._view
        found = view.find(self.selected) if (view is not None and self.selected) else None
        if found is None:
            self.details = {"id": self.selected, "note": "not in this picture"} \
                if self.selected else {}
            return
        if hasattr(found, "op"):
            created_at = self._replay.creators().get(found)
            self.details = describe_node(found, view, created_at,
                                         self._replay.record(created_at or 0))
        else:
            facts = describe_variable(found, view)
            if found.owner is not None:
                created_at = self._replay.creators().get(found.owner)
                record = self._replay.record(created_at or 0)
                facts["created_by"] = (f"#{record.step} {record.rule}" if record
                                       else "the original graph")
            self.details = facts

    def _update_matches(self) -> None:
        query = self.query.strip().lower()
        view = self._view
        if not query or view is None:
            self.matches = []
            return
        self.matches = [variable_id(v) for v in view.variables
                        if query in (view.label(v) or "").lower()]

    # -- reactions ---------------------------------------------------------------------------------

    @traitlets.observe("mode", "step", "style", "expanded", "max_nodes")
    def _on_view_change(self, change) -> None:
        if change["name"] == "step":
            clamped = max(0, min(self.step, self.n_steps))
            if clamped != self.step:
                self.step = clamped
                return
        if hasattr(self, "_replay"):
            self._redraw()

    @traitlets.observe("selected")
    def _on_select(self, change) -> None:
        self._update_details()

    @traitlets.observe("query")
    def _on_query(self, change) -> None:
        self._update_matches()

    # -- Python conveniences -------------------------------------------------------------------------

    def next(self) -> None:
        """Show the next rewrite step."""
        self.mode = "steps"
        self.step = min(self.step + 1, self.n_steps)

    def previous(self) -> None:
        """Show the previous rewrite step."""
        self.mode = "steps"
        self.step = max(self.step - 1, 0)
