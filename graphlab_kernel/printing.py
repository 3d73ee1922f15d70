"""Printing graphs: `pp` writes an expression in math notation; `debugprint` draws the tree;
`Print` prints values while a function runs."""

from __future__ import annotations

import sys
from collections.abc import Callable, Container, Iterator, Sequence

from graphlab_kernel.gof.graph import Apply, Variable, toposort
from graphlab_kernel.gof.op import Op


def pp(var: Variable) -> str:
    """The expression that computes `var`, fully parenthesized (`(x + y)`)."""
    if hasattr(var, "maker"):  # a compiled function: print what it will run
        return "\n".join(pp(o) for o in var.maker.fgraph.outputs)
    text: dict[Variable, str] = {}

    def name(v: Variable) -> str:
        if v in text:
            return text[v]
        if v.name is not None or v.owner is None:
            return str(v)
        raise KeyError(v)

    for node in toposort([var]):
        args = [name(i) for i in node.inputs]
        printer = getattr(node.op, "pp", None)
        rendered = (printer(node, args) if printer is not None
                    else f"{node.op}({', '.join(args)})")
        for out in node.outputs:
            if isinstance(rendered, list):  # an op writing each of its outputs out
                own = rendered[out.index]
            else:
                own = rendered + ("" if len(node.outputs) == 1 else f".{out.index}")
            use_name = out.name is not None and out is not var
            text[out] = out.name if use_name else own
    return name(var)


def debugprint(obj, file=None, print_type: bool = False):
    """Print the graph as an indented tree, one line per variable, as Theano's debugprint does:
    to sys.stdout (file=None; returns None, so that a notebook shows only the tree) or to a file
    object (returned); file="str" returns the text instead of printing it.

    Accepts a variable, a list of them, or a compiled function (its optimized graph). A node
    already printed above is shown once more as its id, followed by '...'.
    """
    if hasattr(obj, "maker"):
        outputs = obj.maker.fgraph.outputs
    elif isinstance(obj, Variable):
        outputs = [obj]
    else:
        outputs = list(obj)
    ids: dict = {}
    lines: list[str] = []
    for out in outputs:
        _debug_lines(out, ids, lines, print_type)
    _inner_graph_lines(ids, lines, print_type)
    text = "\n".join(lines)
    if file == "str":
        return text
    print(text, file=sys.stdout if file is None else file)
    return file


def walk_tree(root: Variable, seen: Container[Apply],
              inputs_of: Callable[[Apply], Sequence[Variable]] = lambda node: node.inputs
              ) -> Iterator[tuple[Variable, int, bool]]:
    """The variables under `root` in the order an indented tree prints them, depth first:
    (variable, depth, repeated). A variable whose node is in `seen` (the caller adds each node
    it prints) is `repeated`, and what is under it is not walked again."""
    stack: list[tuple[Variable, int]] = [(root, 0)]
    while stack:
        var, depth = stack.pop()
        node = var.owner
        repeated = node is not None and node in seen
        yield var, depth, repeated
        if node is not None and not repeated:
            stack.extend((inp, depth + 1) for inp in reversed(inputs_of(node)))


def _debug_lines(root: Variable, ids: dict, lines: list[str], print_type: bool) -> None:
    for var, depth, repeated in walk_tree(root, ids):
        pad = " |" * depth
        if depth:
            pad = pad[:-1] + "|"
        type_text = f" <{var.type}>" if print_type else ""
        node = var.owner
        if node is None:
            lines.append(f"{pad}{var}{type_text}")
            continue
        if repeated:
            lines.append(f"{pad}{node.op} [id {ids[node]}]{type_text} ...")
            continue
        ids[node] = _letter_id(len(ids))
        out_suffix = f".{var.index}" if len(node.outputs) > 1 else ""
        label = f" '{var.name}'" if var.name else ""
        lines.append(f"{pad}{node.op}{out_suffix} [id {ids[node]}]{label}{type_text}")


def _inner_graph_lines(ids: dict, lines: list[str], print_type: bool) -> None:
    """Under the tree, the graph inside each node that holds one (a Scan's loop body), as
    Theano prints it: each line marked '>', after the node's own line."""
    printed: set = set()
    pending = [node for node in ids if getattr(node.op, "inner_outputs", None)]
    if pending:
        lines += ["", "Inner graphs:"]
    while pending:
        node = pending.pop(0)
        if node in printed:
            continue
        printed.add(node)
        lines += ["", f"{node.op} [id {ids[node]}]"]
        inner: list[str] = []
        for out in node.op.inner_outputs:
            _debug_lines(out, ids, inner, print_type)
        lines += [" >" + line for line in inner]
        pending += [n for n in ids if getattr(n.op, "inner_outputs", None) and n not in printed
                    and n not in pending]


def _letter_id(n: int) -> str:
    letters = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(ord("A") + r) + letters
    return letters


def pprint_lines(vars: Sequence[Variable]) -> list[str]:
    """`pp` of each variable, one per line."""
    return [pp(v) for v in vars]


class Print(Op):
    """`Print(message)(x)` is x, and prints `message __str__ = <x>` each time a function
    computes it, as Theano's `theano.printing.Print`: a way to look inside a running graph.
    `attrs` names what to print of the value (its attributes or methods, e.g. ('shape',
    'mean')). It runs Python code: on the C backend, the compiled code calls back into Python
    for it (once per call, however the call goes). The optimizer never folds it into a constant
    (it would print while compiling)."""

    __props__ = ("message", "attrs")
    view_map = {0: [0]}
    side_effect = True  # not evaluated while compiling (constant folding)

    def __init__(self, message: str = "", attrs: Sequence[str] = ("__str__",)):
        if isinstance(attrs, str):
            raise TypeError(f"Print's attrs must be a sequence of names; got the string {attrs!r}"
                            f" (write ({attrs!r},))")
        self.message = str(message)
        self.attrs = tuple(attrs)

    # In C, the node is Python called from the compiled code (codegen._python_node).
    in_python = "it runs Python code (it prints) each time its value is computed"

    def make_node(self, x) -> Apply:
        from graphlab_kernel.tensor.var import as_tensor_variable
        x = as_tensor_variable(x, f"input of {self}")
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs):
        (x,) = inputs
        for attr in self.attrs:
            value = getattr(x, attr)
            print(f"{self.message} {attr} = {value() if callable(value) else value}")
        return [x]

    def grad(self, inputs, outputs, output_grads):
        return list(output_grads)

    def pp(self, node, args: Sequence[str]) -> str:
        return f"Print{{{self.message}}}({args[0]})"

    def __str__(self) -> str:
        return f"Print{{{self.message}}}"
