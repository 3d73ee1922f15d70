"""Row fusion: `gemv(z, alpha, X.T, f(dot(X, w), ...), beta)` becomes one DotMapGemv.

This is the shape of a linear model's gradient step: X.w, a per-row elementwise function of it,
then X^T times that. As one op, a backend reads X once, a block of rows at a time, instead of once
per product. Runs after elementwise fusion, so that f is already a handful of Composite loops.

The other per-row computations on X.w that the graph reads, such as a model's predictions and its
per-example loss, then join the same pass as extra outputs of the DotMapGemv: they are computed
a block of rows at a time, in parallel with the rest, instead of in loops of their own afterwards.
"""

from __future__ import annotations

from graphlab_kernel.gof.fg import FunctionGraph
from graphlab_kernel.gof.graph import Apply, Variable
from graphlab_kernel.rewrite.engine import graph_pass
from graphlab_kernel.rewrite.fusion import fgraph_order
from graphlab_kernel.tensor.blas import Gemv
from graphlab_kernel.tensor.elemwise import DimShuffle, Elemwise
from graphlab_kernel.tensor.fused import DotMapGemv
from graphlab_kernel.tensor.math import Dot
from graphlab_kernel.tensor.scalar_ops import Composite
from graphlab_kernel.tensor.shape import Shape_i
from graphlab_kernel.tensor.type import FLOAT_DTYPES


def _transposed(var: Variable) -> Variable | None:
    """X when `var` is X.T (a DimShuffle{1,0} of a matrix), else None."""
    node = var.owner
    if node is None or not isinstance(node.op, DimShuffle) or node.op.new_order != (1, 0):
        return None
    return node.inputs[0]


def _row_elemwise(node: Apply | None) -> bool:
    return (node is not None and isinstance(node.op, Elemwise) and not node.op.inplace_pattern
            and node.outputs[0].type.ndim == 1)


def _dot_under(g: Variable, X: Variable) -> Variable | None:
    """The one `dot(X, w)` (w a vector) that the elementwise tree computing `g` reads, or None."""
    found, seen, stack = set(), set(), [g]
    while stack:
        var = stack.pop()
        node = var.owner
        if node is None or node in seen:
            continue
        seen.add(node)
        if isinstance(node.op, Dot) and node.inputs[0] is X and node.inputs[1].type.ndim == 1:
            found.add(var)
        elif _row_elemwise(node):
            stack.extend(node.inputs)
    return found.pop() if len(found) == 1 else None


def _members(g: Variable, d: Variable) -> set[Apply]:
    """The elementwise nodes between `d` and `g` (those computing g that read d, directly or not)."""
    depends: dict[Apply, bool] = {}
    stack: list[tuple[Apply, bool]] = [(g.owner, False)]
    while stack:
        node, expanded = stack.pop()
        if node in depends:
            continue
        below = [i.owner for i in node.inputs if i is not d and _row_elemwise(i.owner)]
        if not expanded:
            stack.append((node, True))
            stack.extend((b, False) for b in below if b not in depends)
            continue
        depends[node] = any(i is d for i in node.inputs) or any(depends[b] for b in below)
    return {node for node, dep in depends.items() if dep}


def _shape_uses(var: Variable, inside: set[Variable]) -> list[Variable] | None:
    """The `Shape_i{0}(v)` (v in `inside`) through which `var` reads `inside`; None if it reads
    `inside` any other way."""
    shapes, seen, stack = [], set(), [var]
    while stack:
        v = stack.pop()
        if v in inside:
            return None
        node = v.owner
        if node is None or node in seen:
            continue
        seen.add(node)
        if isinstance(node.op, Shape_i) and node.op.i == 0 and node.inputs[0] in inside:
            shapes.append(v)
            continue
        stack.extend(node.inputs)
    return shapes


def _program(order: list[Apply], d: Variable, rows: list[Variable] | None = None
             ) -> tuple[Composite, list[Variable]]:
    """The scalar program computing the last node of `order` from d (input 0) and the other
    arrays it reads (inputs 1, 2, ...: `rows` when given, else those it reads, in order), and
    those arrays."""
    inside = {n.outputs[0] for n in order}
    if rows is None:
        rows = [i for n in order for i in n.inputs if i is not d and i not in inside]
        rows = list(dict.fromkeys(rows))
    nin = 1 + len(rows)
    slot = {d: 0, **{v: k + 1 for k, v in enumerate(rows)}}
    program: list = []
    for node in order:
        scalar, args = node.op.scalar_op, [slot[i] for i in node.inputs]
        if isinstance(scalar, Composite):  # inline an earlier fusion's program
            local = list(args)
            for op, op_args in scalar.program:
                program.append((op, [local[a] for a in op_args]))
                local.append(nin + len(program) - 1)
        else:
            program.append((scalar, args))
        slot[node.outputs[0]] = nin + len(program) - 1
    return Composite(program, nin), rows


def _fuse(fgraph: FunctionGraph, gemv: Apply) -> None:
    z, alpha, xt, g, beta = gemv.inputs
    X = _transposed(xt)
    if X is None or X.type.dtype not in FLOAT_DTYPES or not _row_elemwise(g.owner):
        return
    d = _dot_under(g, X)
    if d is None or d.type.dtype != X.type.dtype:
        return
    members = _members(g, d)
    if g.owner not in members:
        return
    inside = {d} | {n.outputs[0] for n in members}
    order = fgraph_order(fgraph, g.owner, members)
    _, rows = _program(order, d)
    shapes = []
    for var in (z, alpha, beta, *rows):
        uses = _shape_uses(var, inside)
        if uses is None:
            return
        shapes += uses
    # Shape_i{0} of a member is X's row count whenever the gemv's shapes agree (else it fails)
    fgraph.replace_all([(s, Shape_i(0)(X)) for s in dict.fromkeys(shapes)], "row_fusion",
                       "the row count of a fused row computation -> X.shape[0]")
    program, rows = _program(order, d)
    fused = DotMapGemv(program)(X, d.owner.inputs[1], z, alpha, beta, *rows)
    pairs = [(d, fused[0]), (g, fused[1]), (gemv.outputs[0], fused[2])]
    if any(old.type != new.type for old, new in pairs):
        return
    fgraph.replace_all(pairs, "row_fusion", f"dot, {len(program.program)} elementwise "
                       "instructions and gemv on X.T -> one DotMapGemv pass over X")
    _absorb_row_work(fgraph, fused[0].owner)


def _absorb_row_work(fgraph: FunctionGraph, node: Apply) -> None:
    """The elementwise work on the new DotMapGemv's d = X.w that reads nothing else computed from
    the DotMapGemv (only d, and arrays made before it) joins it: each such result the rest of the
    graph reads becomes an extra output, computed in the pass over X."""
    d = node.outputs[0]
    after = set(node.outputs)  # what the DotMapGemv's outputs feed, directly or not
    stack = list(node.outputs)
    while stack:
        for client, _ in fgraph.clients[stack.pop()]:
            if client != "output" and client.outputs[0] not in after:
                after.update(client.outputs)
                stack.extend(client.outputs)
    # a node joins once every input it reads from `after` is inside: seen again, as a client,
    # each time one more of its inputs comes inside
    members: dict[Apply, None] = {}
    inside = {d}
    queue = [d]
    while queue:
        for n, _ in fgraph.clients[queue.pop()]:
            if n != "output" and n not in members and _row_elemwise(n) \
                    and all(i in inside or i not in after for i in n.inputs):
                members[n] = None
                inside.add(n.outputs[0])
                queue.append(n.outputs[0])
    wanted = [n.outputs[0] for n in members
              if any(c == "output" or c not in members for c, _ in fgraph.clients[n.outputs[0]])]
    if not wanted:
        return
    # the arrays the new work reads join the row inputs
    rows = list(dict.fromkeys([*node.inputs[5:], *(i for n in members for i in n.inputs
                                                    if i not in inside)]))
    extras = [_program(fgraph_order(fgraph, v.owner, members.keys()), d, rows)[0] for v in wanted]
    fused = DotMapGemv(_widened(node.op.program, len(rows) + 1), extras)(*node.inputs[:5], *rows)
    pairs = list(zip(node.outputs, fused)) + list(zip(wanted, fused[len(node.outputs):]))
    if any(o.type != n.type for o, n in pairs):
        return
    fgraph.replace_all(pairs, "row_fusion", f"{len(wanted)} more per-row result(s) of X.w -> "
                       "extra outputs of the DotMapGemv, computed in its pass over X")


def _widened(program: Composite, nin: int) -> Composite:
    """`program` reading `nin` inputs, the first program.nin of them as before."""
    if nin == program.nin:
        return program
    shift = nin - program.nin
    return Composite([(op, [a if a < program.nin else a + shift for a in args])
                      for op, args in program.program], nin)


@graph_pass
def row_fusion(fgraph: FunctionGraph) -> None:
    """gemv(z, a, X.T, f(dot(X, w), ...), b) -> one DotMapGemv pass over X"""
    for node in fgraph.toposort():
        if node in fgraph.apply_nodes and isinstance(node.op, Gemv):
            _fuse(fgraph, node)
