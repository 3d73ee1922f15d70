"""The `%%symbolic` cell magic: run the cell, then show what it defined."""

from __future__ import annotations

import ast
import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display

import graphlab_kernel as G
from graphlab_kernel.tooling import HistoryReplay, graph_text, trace, view_of_variables

from graphlab_extension.diagram import DEFAULT_MAX_NODES, Diagram, diagram_of
from graphlab_extension.render import (
    INSTALL_HINT,
    DotMissing,
    code_text,
    dot_available,
    save,
    save_format,
    svg_of,
)

SHOW_CHOICES = ("both", "before", "after", "steps", "code")


@dataclass
class Bound:
    """Something the cell bound to a name, with what to show for it."""

    name: str
    value: Any
    kind: str  # expression | function | shared


def bound_by_cell(before: dict[str, int], namespace: dict[str, Any]) -> list[Bound]:
    """The graph objects the cell bound (names that are new or now refer to another object)."""
    found = []
    for name, value in namespace.items():
        if name.startswith("_") or before.get(name) == id(value):
            continue
        if isinstance(value, G.Function):
            found.append(Bound(name, value, "function"))
        elif isinstance(value, G.SharedVariable):
            found.append(Bound(name, value, "shared"))
        elif isinstance(value, G.Variable) and value.owner is not None:
            found.append(Bound(name, value, "expression"))
    return found


def _free_inputs(var) -> list:
    _, variables = trace([var])
    return [v for v in variables
            if v.owner is None and not isinstance(v, (G.Constant, G.SharedVariable))]


def compile_expression(var, backend: str | None = None) -> G.Function:
    """Compile a bare expression, to see its optimized graph (the same on every backend: the
    NumPy one spares a C compilation when only the picture is wanted)."""
    return G.function(_free_inputs(var), var, on_unused_input="ignore", backend=backend)


@magics_class
class SymbolicMagics(Magics):
    """Holds the `%%symbolic` magic."""

    def __init__(self, shell):
        super().__init__(shell)
        self.warned_about_dot = False

    @magic_arguments()
    @argument("--show", "-s", choices=SHOW_CHOICES, default="both",
              help="what to show for graphs: 'before' or 'after' optimization, 'both' side by "
                   "side (default), the rewrite 'steps', or the generated 'code'")
    @argument("--style", choices=("compact", "structure"), default="compact",
              help="picture style: 'compact' (ops and role-coloured variables; default) or "
                   "'structure' (the tutorial's Apply/Variable/Op/Type diagram)")
    @argument("--no-widgets", action="store_true",
              help="show static pictures and text only, no interactive widgets")
    @argument("--save", metavar="FILE", default=None,
              help="also save the picture to FILE (.svg, .png, .pdf or .dot); with several "
                   "graphs, their names are added to the file name")
    @argument("--max-nodes", type=int, default=DEFAULT_MAX_NODES,
              help="collapse pictures with more nodes than this (default %(default)s)")
    @cell_magic
    def symbolic(self, line: str, cell: str):
        """Run the cell, then show the graphs it defined.

        For each symbolic expression the cell bound: its graph before and after optimization.
        For each compiled function: a function widget and the rewrite explorer.
        For each shared variable: a live widget that follows its value.
        """
        __tracebackhide__ = True
        args = parse_argstring(self.symbolic, line)  # a bad flag raises UsageError
        check_arguments(args)
        before = {k: id(v) for k, v in self.shell.user_ns.items()}
        result = run_cell_body(self.shell, cell)
        shown = bound_by_cell(before, self.shell.user_ns)
        Presenter(self, args).show(shown)
        return result


def check_arguments(args) -> None:
    """Refuse, before the cell runs, flag values that could only fail after it has run."""
    if args.max_nodes < 1:
        raise UsageError(f"--max-nodes must be at least 1, not {args.max_nodes}")
    if args.save:
        path = Path(args.save).expanduser()
        try:
            save_format(path)
        except ValueError as exc:
            raise UsageError(f"--save {args.save}: {exc}") from None
        if not path.parent.is_dir():
            raise UsageError(f"--save {args.save}: the folder {path.parent} does not exist")


def _cell_number(shell) -> int:
    """N of the In[N] being run, for tracebacks: IPython records a cell's input before running it
    (whereas when `execution_count` moves on differs between IPython 8 and 9)."""
    count = len(shell.history_manager.input_hist_raw) - 1
    return count if count > 0 else shell.execution_count


def run_cell_body(shell, cell: str):
    """Run `cell` in the user namespace like a normal cell; return its last expression's value.

    Exceptions propagate unchanged (IPython shows them as for any cell); this frame is hidden
    from the traceback.
    """
    __tracebackhide__ = True
    source = shell.transform_cell(cell)
    filename = shell.compile.cache(source, _cell_number(shell), raw_code=cell)
    tree = shell.compile.ast_parse(source, filename)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    namespace = shell.user_ns
    exec(compile(tree, filename, "exec"), shell.user_global_ns, namespace)
    if last is not None:
        return eval(compile(last, filename, "eval"), shell.user_global_ns, namespace)
    return None


def show_html(markup: str, text: str) -> None:
    """Display HTML with a plain-text version (what a terminal, or a text export, shows)."""
    display({"text/html": markup, "text/plain": text}, raw=True)


class Presenter:
    """Shows what a cell bound, as the magic's flags ask."""

    def __init__(self, magics: SymbolicMagics, args):
        self.magics = magics
        self.show_what = args.show
        self.style = args.style
        self.widgets = not args.no_widgets
        self.save_to = args.save
        self.max_nodes = args.max_nodes
        self.saved: list[Path] = []

    def show(self, bound: list[Bound]) -> None:
        if not bound:
            return
        has_dot = dot_available()
        if not has_dot and not self.magics.warned_about_dot:
            self.magics.warned_about_dot = True
            show_html(f'<div class="gl-message">{html.escape(INSTALL_HINT)}</div>', INSTALL_HINT)
        pictures = [b for b in bound if b.kind != "shared"]
        for item in bound:
            if item.kind == "expression":
                self.show_expression(item, has_dot, several=len(pictures) > 1)
            elif item.kind == "function":
                self.show_function(item, has_dot, several=len(pictures) > 1)
            else:
                self.show_shared(item)

    # -- pictures ----------------------------------------------------------------------------------

    def _panel(self, diagram: Diagram, text: str, has_dot: bool, caption: str) -> str:
        body = (svg_of(diagram, self.style) if has_dot
                else f"<pre class=\"gl-text\">{html.escape(text)}</pre>")
        return (f'<figure class="gl-panel" data-panel="{caption}" style="margin:0 12px 0 0">'
                f'<figcaption style="font-weight:600">{caption}</figcaption>{body}</figure>')

    def _save(self, name: str, diagram: Diagram, several: bool) -> None:
        if not self.save_to:
            return
        path = Path(self.save_to).expanduser()
        if several:
            path = path.with_name(f"{path.stem}-{name}{path.suffix}")
        try:
            self.saved.append(save(diagram, path, self.style))
            print(f"saved the picture of {name} to {path}")
        except DotMissing:
            print(f"could not save {path}: graphviz's dot is missing (see above)")
        except OSError as exc:
            print(f"could not save {path}: {exc.strerror or exc}")

    def _pictures(self, name: str, views: dict[str, Any], several: bool) -> None:
        has_dot = dot_available()
        panels, texts = [], []
        last_diagram = None
        for caption, view in views.items():
            diagram = diagram_of(view, self.style, title=name, max_nodes=self.max_nodes)
            text = graph_text(view)
            panels.append(self._panel(diagram, text, has_dot, caption))
            texts.append(f"{caption}\n{text}")
            last_diagram = diagram
        show_html(f'<div class="gl-side-by-side" data-name="{html.escape(name)}" '
                  f'style="display:flex;flex-wrap:wrap;align-items:flex-start">'
                  f'{"".join(panels)}</div>', "\n\n".join(texts))
        if last_diagram is not None:
            self._save(name, last_diagram, several)

    def _which(self) -> list[str]:
        return {"both": ["before", "after"], "before": ["before"],
                "after": ["after"]}.get(self.show_what, ["before", "after"])

    def show_expression(self, item: Bound, has_dot: bool, several: bool) -> None:
        var = item.value
        views: dict[str, Any] = {}
        replay = None
        wanted = self._which()
        if "before" in wanted:
            views[f"{item.name}: before optimization"] = view_of_variables([var], [item.name])
        try:
            f = compile_expression(var, None if self.show_what in ("steps", "code") else "numpy")
            f.name = item.name
            replay = HistoryReplay(f)
        except Exception as exc:  # the picture is a courtesy: never fail the cell over it
            print(f"{item.name}: could not compile to show the optimized graph ({exc})")
        if replay is not None and "after" in wanted:
            views[f"{item.name}: after optimization"] = replay.view(None, show_changes=False)
        if self.show_what in ("steps", "code") and replay is not None:
            self.show_function(Bound(item.name, replay.function, "function"), has_dot, several,
                               with_controls=False)
            return
        self._pictures(item.name, views, several)

    def show_function(self, item: Bound, has_dot: bool, several: bool,
                      with_controls: bool = True) -> None:
        f = item.value
        if self.show_what == "code" and not self.widgets:
            source = code_text(f, item.name)
            show_html(f'<pre class="gl-code" data-name="{html.escape(item.name)}">'
                      f'{html.escape(source)}</pre>', source)
            return
        if not self.widgets:
            replay = HistoryReplay(f)
            if self.show_what == "steps":
                for record in replay.history:
                    print(f"#{record.step} {record.rule}: {record.doc}")
                if not replay.history:
                    print(f"{item.name}: no rewrites were applied")
            wanted = self._which()
            views = {}
            if "before" in wanted:
                views[f"{item.name}: before optimization"] = replay.view(0, show_changes=False)
            if "after" in wanted:
                views[f"{item.name}: after optimization"] = replay.view(None, show_changes=False)
            self._pictures(item.name, views, several)
            return
        from graphlab_extension.explorer import Explorer
        from graphlab_extension.live import FunctionWidget
        mode = {"both": "after", "before": "before", "after": "after", "steps": "steps",
                "code": "code"}[self.show_what]
        if with_controls:
            display(FunctionWidget(f, name=item.name))
        display(Explorer(f, name=item.name, mode=mode, style=self.style,
                         max_nodes=self.max_nodes))
        if self.save_to:
            replay = HistoryReplay(f)
            view = replay.view(0 if mode == "before" else None, show_changes=False)
            self._save(item.name, diagram_of(view, self.style, item.name, self.max_nodes),
                       several)

    def show_shared(self, item: Bound) -> None:
        if not self.widgets:
            value = item.value.get_value(borrow=True)
            print(f"{item.name} = {value!r}")
            return
        from graphlab_extension.live import SharedWidget
        display(SharedWidget(item.value, name=item.name))
