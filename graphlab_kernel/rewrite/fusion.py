"""Elementwise fusion: a tree of elementwise ops whose intermediate results nothing else uses becomes
one Elemwise(Composite) — one loop over the data instead of one per op, and no temporaries."""

from __future__ import annotations

from graphlab_kernel.gof.fg import OUTPUT, FunctionGraph
from graphlab_kernel.gof.graph import Apply, Variable
from graphlab_kernel.rewrite.engine import graph_pass
from graphlab_kernel.tensor.elemwise import Elemwise
from graphlab_kernel.tensor.scalar_ops import Composite, Second

MAX_OPS = 64      # a fused loop this long is plenty, and keeps generated code and formulas small
MAX_INPUTS = 32   # as many arrays as one loop reads comfortably


def _fusable(node: Apply | None) -> bool:
    if node is None or not isinstance(node.op, Elemwise) or node.op.inplace_pattern:
        return False
    scalar = node.op.scalar_op
    return isinstance(scalar, Composite) or scalar.c_expr is not None


def _only_used_by(fgraph: FunctionGraph, var: Variable, members: set[Apply]) -> bool:
    clients = fgraph.clients_of(var)
    return bool(clients) and all(c != OUTPUT and c in members for c, _ in clients)


def _grow_cluster(fgraph: FunctionGraph, root: Apply, taken: set[Apply]) -> list[Apply]:
    """The nodes fused with `root`: elementwise producers used only inside the cluster."""
    members = {root}
    external: set[Variable] = set(root.inputs)
    stack = list(root.inputs)
    while stack:
        var = stack.pop()
        node = var.owner
        if (not _fusable(node) or node in members or node in taken
                or not _only_used_by(fgraph, var, members) or len(members) >= MAX_OPS
                or len(external) - 1 + len(node.inputs) > MAX_INPUTS):
            continue
        members.add(node)
        external.discard(var)
        external.update(node.inputs)
        stack.extend(node.inputs)
    return fgraph_order(fgraph, root, members)


def fgraph_order(fgraph: FunctionGraph, root: Apply, members: set[Apply]) -> list[Apply]:
    """`members` in an order where each node comes after the members it reads (root last)."""
    order: list[Apply] = []
    done: set[Apply] = set()
    stack: list[tuple[Apply, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if node in done:
            continue
        if expanded:
            done.add(node)
            order.append(node)
            continue
        stack.append((node, True))
        for inp in reversed(node.inputs):
            if inp.owner in members and inp.owner not in done:
                stack.append((inp.owner, False))
    return order


def _composite_of(cluster: list[Apply]) -> tuple[Composite, list[Variable]]:
    """The scalar program computing the cluster's root, and the arrays it reads."""
    inputs: list[Variable] = []
    slot: dict[Variable, int] = {}
    for node in cluster:
        for inp in node.inputs:
            if inp.owner not in cluster and inp not in slot:
                slot[inp] = len(inputs)
                inputs.append(inp)
    program = []
    nin = len(inputs)
    for node in cluster:
        scalar = node.op.scalar_op
        args = [slot[i] for i in node.inputs]
        if isinstance(scalar, Composite):  # inline an earlier fusion's program
            local = list(args)  # the composite's value k is our value local[k]
            for op, op_args in scalar.program:
                program.append((op, [local[a] for a in op_args]))
                local.append(nin + len(program) - 1)
            slot[node.outputs[0]] = nin + len(program) - 1
            continue
        program.append((scalar, args))
        slot[node.outputs[0]] = nin + len(program) - 1
    return _without_fills(program, inputs)


def _without_fills(program: list, inputs: list[Variable]) -> tuple[Composite, list[Variable]]:
    """The composite of `program` over `inputs`, each fill(x, y) read as y, and what only fills
    read dropped.

    fill(x, y) is y broadcast to x's shape; inside one loop every value already has the loop's
    shape, the broadcast of all the composite's inputs, which it keeps even when no instruction
    reads one (but for those of no length, which set nothing). So x need not be computed: the
    gradient's fill(cost, 1) no longer computes the cost. The last instruction stays, as a
    composite needs one."""
    nin = len(inputs)
    alias: dict[int, int] = {}
    resolved = []
    for k, (op, args) in enumerate(program):
        args = [alias.get(a, a) for a in args]
        if isinstance(op, Second) and k < len(program) - 1:
            alias[nin + k] = args[1]
        resolved.append((op, args))
    needed = {nin + len(program) - 1}  # the values kept instructions read, inputs included
    for k in reversed(range(len(program))):
        if nin + k in needed and nin + k not in alias:
            needed.update(resolved[k][1])
    keep = [i for i, v in enumerate(inputs) if i in needed or not all(v.broadcastable)]
    number = {i: j for j, i in enumerate(keep)}
    kept = []
    for k, (op, args) in enumerate(resolved):
        if nin + k in needed and nin + k not in alias:
            number[nin + k] = len(keep) + len(kept)
            kept.append((op, [number[a] for a in args]))
    return Composite(kept, len(keep)), [inputs[i] for i in keep]


@graph_pass
def fusion(fgraph: FunctionGraph) -> None:
    """chains of elementwise ops -> one Elemwise(Composite)"""
    taken: set[Apply] = set()
    for root in reversed(fgraph.toposort()):
        if root in taken or root not in fgraph.apply_nodes or not _fusable(root):
            continue
        cluster = _grow_cluster(fgraph, root, taken)
        taken.update(cluster)
        if len(cluster) < 2:
            continue
        composite, inputs = _composite_of(cluster)
        # the program computes the root's dtype by construction; skip make_node's inference
        fused = Apply(Elemwise(composite), inputs, [root.outputs[0].type()]).outputs[0]
        fgraph.replace_all([(root.outputs[0], fused)], "fusion",
                           f"{len(cluster)} elementwise ops -> one Composite loop")
