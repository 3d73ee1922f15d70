"""Variables, Apply nodes and the iterative traversals over the bipartite graph they form.

A Variable is produced by at most one Apply node (its `owner`, at position `index`); an Apply node
applies an Op to input Variables and produces output Variables. Every traversal here is iterative so
that graphs of any depth work under Python's default recursion limit.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graphlab_kernel.gof.op import Op
    from graphlab_kernel.gof.type import Type

_ids = itertools.count()


class Variable:
    """A symbolic value of a given Type, optionally the output of an Apply node."""

    def __init__(self, type: Type, owner: Apply | None = None, index: int | None = None,
                 name: str | None = None):
        self.type = type
        self.owner = owner
        self.index = index
        self.name = name
        self.id = next(_ids)  # creation order: a stable, process-unique identifier

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        if self.owner is not None:
            return f"{self.owner.op}.{self.index}"
        return f"<{self.type}>"

    __repr__ = __str__

    def clone(self) -> Variable:
        """Return a new free Variable with the same type and name."""
        return type(self)(self.type, None, None, self.name)


class Constant(Variable):
    """A Variable whose value is fixed at graph-construction time."""

    def __init__(self, type: Type, data: Any, name: str | None = None):
        super().__init__(type, None, None, name)
        self.data = data

    def signature(self) -> tuple:
        """A hashable key: two constants with equal signatures hold the same value."""
        raise NotImplementedError

    def clone(self) -> Constant:
        return type(self)(self.type, self.data, self.name)


class Apply:
    """The application of `op` to `inputs`, producing `outputs`."""

    def __init__(self, op: Op, inputs: Sequence[Variable], outputs: Sequence[Variable]):
        self.op = op
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        for i, out in enumerate(self.outputs):
            out.owner, out.index = self, i

    @property
    def out(self) -> Variable:
        """The single output of this node."""
        if len(self.outputs) != 1:
            raise ValueError(f"{self.op} has {len(self.outputs)} outputs; use .outputs")
        return self.outputs[0]

    def __str__(self) -> str:
        return f"{self.op}({', '.join(map(str, self.inputs))})"

    __repr__ = __str__

    def clone_with_new_inputs(self, inputs: Sequence[Variable]) -> Apply:
        """Return a new node applying the same op to `inputs`, with fresh outputs."""
        outputs = [out.clone() for out in self.outputs]
        return Apply(self.op, inputs, outputs)


def toposort(outputs: Iterable[Variable], blockers: Iterable[Variable] = ()) -> list[Apply]:
    """Return the Apply nodes that `outputs` depend on, each after the nodes it depends on.

    Traversal stops at `blockers` (treated as inputs). Iterative depth-first post-order over the
    nodes, visiting inputs in order; each stack entry keeps an iterator over its node's inputs.
    """
    blocked = set(blockers)
    order: list[Apply] = []
    visited: set[Apply] = set()
    for root in outputs:
        node = root.owner
        if node is None or node in visited or root in blocked:
            continue
        visited.add(node)
        stack = [(node, iter(node.inputs))]
        while stack:
            node, pending = stack[-1]
            for inp in pending:
                owner = inp.owner
                if owner is not None and owner not in visited and inp not in blocked:
                    visited.add(owner)
                    stack.append((owner, iter(owner.inputs)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


def ancestors(outputs: Iterable[Variable], blockers: Iterable[Variable] = ()) -> list[Variable]:
    """Return every Variable that `outputs` depend on (themselves included), inputs first."""
    outputs = list(outputs)
    blockers = list(blockers)
    seen: set[int] = set()
    result: list[Variable] = []

    def add(v: Variable) -> None:
        if id(v) not in seen:
            seen.add(id(v))
            result.append(v)

    for node in toposort(outputs, blockers):
        for inp in node.inputs:
            add(inp)
        for out in node.outputs:
            add(out)
    for v in outputs:
        add(v)
    return result


def graph_inputs(outputs: Iterable[Variable], blockers: Iterable[Variable] = ()) -> list[Variable]:
    """Return the ownerless Variables (or blockers) that `outputs` depend on, in first-use order."""
    blocker_ids = {id(b) for b in blockers}
    return [v for v in ancestors(outputs, blockers)
            if v.owner is None or id(v) in blocker_ids]


def clone_replace(outputs: Sequence[Variable], replace: dict[Variable, Variable] | None = None,
                  copy_inputs: bool = False) -> tuple[list[Variable], dict[Variable, Variable]]:
    """Copy the graph of `outputs`, substituting `replace[v]` for each key `v`.

    Returns the new outputs and the full old-to-new mapping. A replacement must have the type of
    what it replaces. Ownerless variables are kept unless `copy_inputs` (constants always are).
    Iterative, so depth is unbounded.
    """
    memo: dict[Variable, Variable] = {}
    for old, new in (replace or {}).items():
        if old.type != new.type:
            raise TypeError(f"cannot replace {old} ({old.type}) by {new} ({new.type}): "
                            "a replacement must have the same type")
        memo[old] = new
    for node in toposort(outputs, blockers=list(memo)):
        for inp in node.inputs:
            if inp not in memo:
                memo[inp] = inp.clone() if copy_inputs and not isinstance(inp, Constant) else inp
        new_inputs = [memo[i] for i in node.inputs]
        if not copy_inputs and all(a is b for a, b in zip(new_inputs, node.inputs)):
            new_node = node
        else:
            new_node = node.clone_with_new_inputs(new_inputs)
        for old, new in zip(node.outputs, new_node.outputs):
            memo[old] = new
    for out in outputs:
        if out not in memo:
            memo[out] = out.clone() if copy_inputs and not isinstance(out, Constant) else out
    return [memo[o] for o in outputs], memo


def is_constant(var: Variable) -> bool:
    """Whether `var` is a Constant."""
    return isinstance(var, Constant)
