"""FunctionGraph: a graph with fixed inputs and outputs that rewrites edit in place, with a history.

Every edit goes through `replace_all`, which checks types, rewires the clients of the replaced
variables, prunes nodes nothing uses any more, and appends one `RewriteRecord` to `history`. A record
keeps every input edge it changed, so the graph as it stood after any step can be rebuilt
(`graph_at_step`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from graphlab_kernel.gof.graph import Apply, Constant, Variable, clone_replace, toposort

OUTPUT = "output"  # the pseudo-client that stands for "is output number i of the graph"


class MissingInputError(ValueError):
    """An output depends on a free variable that is not among the graph's inputs."""


@dataclass
class Edit:
    """One rewired edge: input `position` of `client` (a node, or OUTPUT) went from `old` to `new`."""

    client: Apply | str
    position: int
    old: Variable
    new: Variable


@dataclass
class RewriteRecord:
    """One applied rewrite: which rule, what it replaced, with what, and the edges it changed."""

    step: int
    rule: str
    doc: str
    replaced: list[Variable]
    replacements: list[Variable]
    edits: list[Edit] = field(default_factory=list)
    phase: str = ""  # the pipeline step that applied it ('canonicalize', 'fusion', ...)

    def __str__(self) -> str:
        pairs = ", ".join(f"{a} -> {b}" for a, b in zip(self.replaced, self.replacements))
        return f"#{self.step} {self.rule}: {pairs}"


class FunctionGraph:
    """A graph from `inputs` to `outputs`, owned by one compilation and edited by rewrites."""

    def __init__(self, inputs: Sequence[Variable], outputs: Sequence[Variable], clone: bool = True,
                 update_mapping: dict[int, int] | None = None):
        inputs, outputs = list(inputs), list(outputs)
        # output index -> input index: that output is the input's next value (a shared variable's
        # update), so a backend may compute it into the input's own memory (see backend/c)
        self.update_mapping: dict[int, int] = dict(update_mapping or {})
        if clone:
            # copy every node (also those computed from constants only): rewrites edit node inputs
            # in place, and must never edit the caller's graph
            new_outputs, memo = clone_replace(outputs, {i: i.clone() for i in inputs},
                                              copy_inputs=True)
            self.clone_map: dict[Variable, Variable] = memo
            inputs, outputs = [memo[i] for i in inputs], new_outputs
        else:
            self.clone_map = {}
        self.inputs: list[Variable] = inputs
        self.outputs: list[Variable] = []
        # each variable's users, as an insertion-ordered set (a dict of None values), so that
        # removing one user of a variable with thousands of users costs O(1)
        self.clients: dict[Variable, dict[tuple[Apply | str, int], None]] = {i: {} for i in inputs}
        self.apply_nodes: set[Apply] = set()
        self.history: list[RewriteRecord] = []
        self.listeners: list[Callable[[str, Apply], None]] = []
        self._input_set = set(inputs)
        for i, out in enumerate(outputs):
            self._import(out)
            self.outputs.append(out)
            self.clients[out][(OUTPUT, i)] = None

    # -- structure -------------------------------------------------------------------------------

    def toposort(self) -> list[Apply]:
        """The nodes of the graph, each after those it depends on."""
        return toposort(self.outputs, blockers=self.inputs)

    @property
    def variables(self) -> set[Variable]:
        """Every variable currently in the graph."""
        return set(self.clients)

    def _import(self, var: Variable) -> None:
        """Add `var` and whatever it depends on that the graph does not have yet."""
        if var in self.clients:
            return
        for node in self._new_nodes(var):
            for inp in node.inputs:
                if inp not in self.clients:
                    if inp.owner is None and not isinstance(inp, Constant):
                        raise MissingInputError(
                            f"an output needs the input {inp} ({inp.type}), which was not given; "
                            f"inputs are [{', '.join(map(str, self.inputs))}]")
                    self.clients[inp] = {}
            for position, inp in enumerate(node.inputs):
                self.clients[inp][(node, position)] = None
            for out in node.outputs:
                self.clients.setdefault(out, {})
            self.apply_nodes.add(node)
            for listener in self.listeners:
                listener("import", node)
        if var not in self.clients:
            if var.owner is None and not isinstance(var, Constant):
                raise MissingInputError(f"the output {var} is a free variable not among the inputs")
            self.clients[var] = {}

    def _new_nodes(self, var: Variable) -> list[Apply]:
        """The nodes `var` depends on that the graph lacks, each after those it reads.

        Only the new part is visited, so importing a rewrite's replacement costs time proportional
        to the replacement, not to the graph.
        """
        order: list[Apply] = []
        seen: set[Apply] = set()
        stack: list[tuple[Apply, bool]] = [(var.owner, False)] if var.owner is not None else []
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if node in seen:
                continue
            seen.add(node)
            stack.append((node, True))
            for inp in reversed(node.inputs):
                if inp not in self.clients and inp.owner is not None and inp.owner not in seen:
                    stack.append((inp.owner, False))
        return order

    def _prune(self, var: Variable) -> None:
        """Remove `var`'s owner, and what only it used, once nothing uses `var` any more."""
        stack = [var]
        while stack:
            v = stack.pop()
            node = v.owner
            if (node is None or node not in self.apply_nodes
                    or any(self.clients.get(o) for o in node.outputs)):
                if v.owner is None and v not in self._input_set and not self.clients.get(v):
                    self.clients.pop(v, None)
                continue
            self.apply_nodes.remove(node)
            for listener in self.listeners:
                listener("prune", node)
            for out in node.outputs:
                self.clients.pop(out, None)
            for position, inp in enumerate(node.inputs):
                users = self.clients.get(inp)
                if users is not None:
                    del users[(node, position)]
                    if not users:
                        stack.append(inp)

    # -- editing ---------------------------------------------------------------------------------

    def replace(self, old: Variable, new: Variable, rule: str = "manual", doc: str = "") -> None:
        """Replace `old` by `new` everywhere in the graph (see `replace_all`)."""
        self.replace_all([(old, new)], rule, doc)

    def replace_all(self, pairs: Sequence[tuple[Variable, Variable]], rule: str = "manual",
                    doc: str = "") -> RewriteRecord | None:
        """Replace each `old` by its `new` in one recorded step; return the record.

        Each replacement must have exactly the type of what it replaces.
        """
        pairs = [(o, n) for o, n in pairs if o is not n and o in self.clients]
        if not pairs:
            return None
        for old, new in pairs:
            if old.type != new.type:
                raise TypeError(
                    f"rewrite {rule!r} tried to replace {old} ({old.type}) by {new} ({new.type}); "
                    "a replacement must keep the type of what it replaces")
        record = RewriteRecord(len(self.history) + 1, rule, doc,
                               [o for o, _ in pairs], [n for _, n in pairs])
        for old, new in pairs:
            if old not in self.clients:  # pruned by an earlier pair of this step
                continue
            self._import(new)
            for client, position in list(self.clients[old]):
                self._change_input(client, position, old, new, record)
            self._prune(old)
        self.history.append(record)
        return record

    def _change_input(self, client: Apply | str, position: int, old: Variable, new: Variable,
                      record: RewriteRecord) -> None:
        if client == OUTPUT:
            self.outputs[position] = new
        else:
            client.inputs[position] = new
        del self.clients[old][(client, position)]
        self.clients[new][(client, position)] = None
        record.edits.append(Edit(client, position, old, new))
        for listener in self.listeners:
            if client != OUTPUT:
                listener("change_input", client)

    def clients_of(self, var: Variable) -> list[tuple[Apply | str, int]]:
        """The (node, input position) pairs that use `var`; (OUTPUT, i) for graph outputs."""
        return list(self.clients.get(var, ()))

    def __str__(self) -> str:
        return f"FunctionGraph({', '.join(map(str, self.outputs))})"


def graph_at_step(fgraph: FunctionGraph, step: int) -> tuple[list[Variable], dict]:
    """The graph's outputs and node inputs as they stood after the first `step` rewrites.

    Returns `(outputs, inputs_of)` where `inputs_of[node]` lists the node's inputs at that step (nodes
    missing from the dict have their current inputs). Nothing in `fgraph` is modified.
    """
    outputs = list(fgraph.outputs)
    inputs_of: dict[Apply, list[Variable]] = {}
    for record in reversed(fgraph.history[step:]):
        for edit in reversed(record.edits):
            if edit.client == OUTPUT:
                outputs[edit.position] = edit.old
            else:
                current = inputs_of.setdefault(edit.client, list(edit.client.inputs))
                current[edit.position] = edit.old
    return outputs, inputs_of
