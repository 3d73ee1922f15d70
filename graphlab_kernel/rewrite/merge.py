"""Merging (identical computations and equal constants become one) and constant folding."""

from __future__ import annotations

import numpy as np

from graphlab_kernel.gof.fg import FunctionGraph
from graphlab_kernel.gof.graph import Apply, Constant
from graphlab_kernel.rewrite.engine import graph_pass, rule
from graphlab_kernel.tensor.var import TensorConstant, format_constant

MERGE_DOC = "identical computations -> one"
FOLD_LIMIT = 1 << 20  # constants larger than this many elements are left to run time


@graph_pass
def merge(fgraph: FunctionGraph) -> None:
    """identical subgraphs and equal constants -> one"""
    constants: dict[tuple, Constant] = {}
    seen: dict[tuple, Apply] = {}
    equal_ops: dict = {}      # op -> the first op equal to it
    op_by_id: dict[int, object] = {}  # most nodes share a few op instances: hash each once
    for node in fgraph.toposort():
        if node not in fgraph.apply_nodes:
            continue
        for inp in list(node.inputs):
            if isinstance(inp, Constant) and inp in fgraph.clients:
                first = constants.setdefault(inp.signature(), inp)
                if first is not inp:
                    fgraph.replace_all([(inp, first)], "merge", "equal constants -> one constant")
        op = op_by_id.get(id(node.op))
        if op is None:
            op = op_by_id[id(node.op)] = equal_ops.setdefault(node.op, node.op)
        key = (id(op), *map(id, node.inputs))
        earlier = seen.get(key)
        if earlier is None or earlier not in fgraph.apply_nodes:
            seen[key] = node
            continue
        fgraph.replace_all(list(zip(node.outputs, earlier.outputs)), "merge", MERGE_DOC)


@rule()
def constant_folding(fgraph: FunctionGraph, node: Apply):
    """op(constants) -> constant"""
    if not node.inputs or not all(isinstance(i, Constant) for i in node.inputs):
        return None
    if node.op.destroy_map or getattr(node.op, "side_effect", False):
        return None
    try:
        with np.errstate(all="ignore"):
            values = node.op.perform(node, [i.data for i in node.inputs])
    except Exception:
        return None  # let the error surface when the function runs, with its usual message
    results = []
    for out, value in zip(node.outputs, values):
        value = np.asarray(value, dtype=out.type.dtype)
        if value.size > FOLD_LIMIT:
            return None
        folded = TensorConstant(out.type, value)
        if value.ndim == 0:
            folded.name = format_constant(value)
        results.append(folded)
    return results
