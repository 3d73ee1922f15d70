"""In-place: an elementwise op writes its result into an input that nothing needs afterwards.

Never into a function input or a shared value (the caller still owns them), a constant, or anything
that is a view of those. The destroyed input must have no other client: the NumPy backend runs nodes
in `fgraph.toposort()` order, so a single reader is the only one that surely runs last.
"""

from __future__ import annotations

from graphlab_kernel.gof.fg import OUTPUT, FunctionGraph
from graphlab_kernel.gof.graph import Apply, Constant, Variable
from graphlab_kernel.rewrite.engine import graph_pass
from graphlab_kernel.tensor.elemwise import Elemwise


def _owned_root(var: Variable) -> Variable:
    """The variable whose memory `var` is: itself, or what a view (view_map) of it reads."""
    while var.owner is not None and var.owner.op.view_map:
        (source,) = var.owner.op.view_map.get(var.index, [None])[:1] or [None]
        if source is None:
            break
        var = var.owner.inputs[source]
    return var


def _may_overwrite(fgraph: FunctionGraph, node, var: Variable, inputs_set: set) -> bool:
    """Whether `node` may write into its input `var`."""
    if isinstance(var, Constant) or var in inputs_set or var.owner is None:
        return False
    if var.owner.op.view_map or var.owner.op.destroy_map:
        return False  # a view shares memory with something else; don't chain destroyers
    root = _owned_root(var)
    if isinstance(root, Constant) or root in inputs_set or root.owner is None:
        return False
    clients = fgraph.clients_of(var)
    return len(clients) == 1 and clients[0][0] is node and clients[0][0] != OUTPUT


@graph_pass
def inplace(fgraph: FunctionGraph) -> None:
    """x op y -> x op= y when nothing else needs x"""
    inputs_set = set(fgraph.inputs)
    for node in fgraph.toposort():
        if not isinstance(node.op, Elemwise) or node.op.inplace_pattern:
            continue
        out = node.outputs[0]
        for position, inp in enumerate(node.inputs):
            if inp.type != out.type or not _may_overwrite(fgraph, node, inp, inputs_set):
                continue
            if sum(1 for other in node.inputs if other is inp) != 1:
                continue  # reading the same array twice while writing it is unsafe in C loops
            # the same inputs and output type, so the node is built directly (no type inference)
            new_out = Apply(Elemwise(node.op.scalar_op, {0: position}), list(node.inputs),
                            [out.type()]).outputs[0]
            fgraph.replace_all([(out, new_out)], "inplace",
                               f"{node.op.scalar_op.name} writes into its input {position}")
            break
