"""The rewrite explorer: a widget showing a compiled function's graph before and after optimization,
stepping through its rewrites, with node details, a text diff, the generated C source and search.
A node holding a compiled body of its own (a loop's) opens on that body, shown the same way. A
function compiled with `profile=True` also shows where its calls' time went, node by node."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import anywidget
import traitlets

from graphlab_kernel import Function
from graphlab_kernel.tooling import (GraphView, HistoryReplay, apply_id, describe_node,
                                     describe_variable, inner_function, node_times, op_label,
                                     python_nodes, variable_id)

from graphlab_extension import frontend
from graphlab_extension.diagram import DEFAULT_MAX_NODES, diagram_of, with_heat
from graphlab_extension.render import DotMissing, code_text, svg_of

MODES = ("before", "after", "steps", "code", "time")


@dataclass
class _Level:
    """One function the explorer can show: the one it was made for, or a body opened from it."""

    function: Function
    label: str  # its crumb: the function's name, or `body of Scan{...}`
    replay: HistoryReplay
    pictures: dict[tuple, tuple[str, str]] = field(default_factory=dict)
    state: dict | None = None  # mode, step, selection and expanded groups when last left

    def node(self, identifier: str):
        """The Apply node with this id at any step of the history, or None."""
        return next((n for n in self.replay.creators() if apply_id(n) == identifier), None)


class Explorer(anywidget.AnyWidget):
    """Explore how a compiled function was optimized.

    Python and the browser share these traits: `mode` (before | after | steps | code), `step`
    (0..n_steps, for mode 'steps'), `selected` (a node id; `details` describes it), `query`
    (`matches` lists the ids of variables whose name contains it), `expanded` (ids of collapsed
    groups to open), `path` (the ids of the nodes whose bodies are open, outermost first: [] shows
    the function itself, [loop] the body of the node `loop`, [loop, inner] a loop in that body).
    Rendered state: `svg` (or `text` without graphviz), `rule`, `doc`, `diff`, `added`, `removed`
    (node ids changed by the step), `c_source`, `bodies` (the ids of the nodes in the picture that
    hold a compiled body), `crumbs` (the name of each function along the path).

    For a function compiled with `profile=True`, mode 'time' (`show_time_tab`) shows the optimized
    graph with each node coloured by its share of the calls' time, `times` (node id -> [share,
    time per call]) and `profile_text` (the profile's summary), as they were when the mode was
    entered or `refresh()` last called; a node's details then include its time.

    Each function along the path keeps its own mode, step, selection and expanded groups: going
    back shows the outer function as it was left.
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
    path = traitlets.List(traitlets.Unicode()).tag(sync=True)
    crumbs = traitlets.List(traitlets.Unicode()).tag(sync=True)
    bodies = traitlets.List(traitlets.Unicode()).tag(sync=True)
    show_time_tab = traitlets.Bool(False).tag(sync=True)
    times = traitlets.Dict().tag(sync=True)
    profile_text = traitlets.Unicode("").tag(sync=True)

    def __repr__(self) -> str:
        return f"<Explorer {self.title}, showing {self.mode}>"

    def __init__(self, function: Function, name: str = "", mode: str = "after",
                 style: str = "compact", max_nodes: int = DEFAULT_MAX_NODES, **kwargs):
        top = _Level(function, name or function.name or "function", HistoryReplay(function))
        self._opened: dict[tuple[str, ...], _Level] = {(): top}  # every level opened, by path
        self._levels = [top]  # the functions along the path; the last one is shown
        self._view: GraphView | None = None
        self._switching = False  # while a level's traits are set, draw once, at the end
        super().__init__(style=style, max_nodes=max_nodes, **kwargs)
        self._show_level(mode)

    @property
    def _level(self) -> _Level:
        return self._levels[-1]

    @property
    def _replay(self) -> HistoryReplay:
        return self._level.replay

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
        timing = self.mode == "time"
        if timing:
            self._read_times()
        key = (self.mode if self.mode != "code" else "after", self.step if self.mode == "steps"
               else -1, self.style, tuple(sorted(self.expanded)), self.max_nodes,
               tuple(sorted((k, tuple(v)) for k, v in self.times.items())) if timing else ())
        pictures = self._level.pictures
        if key not in pictures:
            if timing:  # keep one timed picture: the times change from call to call
                for old in [k for k in pictures if k[0] == "time"]:
                    del pictures[old]
            pictures[key] = self._picture(view)
        svg, text = pictures[key]
        record = self._replay.record(self.step) if self.mode == "steps" else None
        with self.hold_sync():
            self.rule = record.rule if record else ("" if self.mode != "steps" else
                                                    "step 0: the graph before any rewrite")
            self.doc = record.doc if record else ""
            self.diff = self._diff() if self.mode == "steps" else ""
            self.added = sorted(apply_id(n) for n in view.added)
            self.removed = sorted(apply_id(n) for n in view.removed)
            self.svg, self.text = svg, text
            self.bodies = [apply_id(n) for n in view.nodes
                           if inner_function(n, self._level.function) is not None]
            self._update_details()
            self._update_matches()

    def _read_times(self) -> None:
        profile = self._level.function.profile
        times = node_times(self._level.function)
        self.times = {k: [share, text] for k, (share, text) in times.items()}
        self.profile_text = profile.summary() if profile is not None else ""

    def _picture(self, view: GraphView) -> tuple[str, str]:
        diagram = diagram_of(view, self.style, max_nodes=self.max_nodes,
                             expanded=frozenset(self.expanded))
        if self.mode == "time":
            diagram = with_heat(diagram, {k: (share, text) for k, (share, text)
                                          in self.times.items()})
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
            facts = describe_node(found, view, created_at, self._replay.record(created_at or 0))
            body = inner_function(found, self._level.function)
            if body is not None:
                facts["body"] = f"{body.name}, compiled on its own (backend {body.backend})"
            if found in python_nodes(self._level.function):
                facts["runs"] = "in Python, called from the generated C (it has no C form)"
            timed = self.times.get(apply_id(found)) if self.mode == "time" else None
            if timed is not None:
                facts["time"] = f"{timed[1]}, {100 * timed[0]:.1f}% of the calls' time"
            self.details = facts
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

    # -- opening bodies ----------------------------------------------------------------------------

    def _resolve(self, path: list[str]) -> list[_Level]:
        """The levels along `path`, each opened from the one before (TraitError if it cannot be)."""
        levels = [self._opened[()]]
        for depth, identifier in enumerate(path):
            key = tuple(path[:depth + 1])
            if key not in self._opened:
                outer = levels[-1]
                node = outer.node(identifier)
                body = inner_function(node, outer.function) if node is not None else None
                if body is None:
                    raise traitlets.TraitError(
                        f"path[{depth}] is {identifier!r}, which is not a node of {outer.label} "
                        f"holding a compiled body (the ids in `bodies` are)")
                self._opened[key] = _Level(body, f"body of {op_label(node.op)}",
                                           HistoryReplay(body))
            levels.append(self._opened[key])
        return levels

    def _show_level(self, mode: str | None = None) -> None:
        """Show the last level of the path: as it was left, or fresh in `mode` (default: the
        current one), at its last step (the first rewrite in mode 'steps')."""
        level = self._level
        n = level.replay.n_steps
        mode = mode or self.mode
        state = level.state or {"mode": mode, "selected": "", "expanded": [],
                                "step": n if mode != "steps" or n == 0 else 1}
        self._switching = True
        try:
            with self.hold_sync():
                self.crumbs = [lv.label for lv in self._levels]
                rewrites = f"{n} rewrite{'s' if n != 1 else ''}"
                self.title = (f"{' › '.join(self.crumbs)}: {rewrites}, backend "
                              f"{level.function.backend}")
                self.c_source = code_text(level.function, level.label)
                self.n_steps = n
                self.show_time_tab = level.function.profile is not None
                if not self.show_time_tab:
                    self.times, self.profile_text = {}, ""
                    if state["mode"] == "time":
                        state = {**state, "mode": "after"}
                for name in ("mode", "step", "selected", "expanded"):
                    self.set_trait(name, state[name])
        finally:
            self._switching = False
        self._redraw()

    # -- reactions ---------------------------------------------------------------------------------

    @traitlets.validate("path")
    def _valid_path(self, proposal) -> list[str]:
        path = list(proposal["value"])
        self._resolve(path)
        return path

    @traitlets.observe("path")
    def _on_path(self, change) -> None:
        self._level.state = {"mode": self.mode, "step": self.step, "selected": self.selected,
                             "expanded": list(self.expanded)}
        self._levels = self._resolve(self.path)
        self._show_level()

    @traitlets.validate("mode")
    def _valid_mode(self, proposal) -> str:
        if proposal["value"] == "time" and self._level.function.profile is None:
            raise traitlets.TraitError(
                f"mode 'time' shows a profile: compile {self._level.label} with "
                "function(..., profile=True) to have one")
        return proposal["value"]

    @traitlets.observe("mode", "step", "style", "expanded", "max_nodes")
    def _on_view_change(self, change) -> None:
        if change["name"] == "step":
            clamped = max(0, min(self.step, self.n_steps))
            if clamped != self.step:
                self.step = clamped
                return
        if hasattr(self, "_levels") and not self._switching:
            self._redraw()

    @traitlets.observe("selected")
    def _on_select(self, change) -> None:
        if not self._switching:
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

    def refresh(self) -> None:
        """Read the profile again (after more calls) and redraw the 'time' picture."""
        if self.mode == "time":
            self._redraw()

    def open_body(self, node_id: str | None = None) -> None:
        """Show the compiled body of node `node_id` (default: the selected node), e.g. a loop's."""
        self.path = [*self.path, node_id or self.selected]

    def back(self) -> None:
        """Show the function around the body shown (nothing to do at the outermost function)."""
        if self.path:
            self.path = self.path[:-1]
