"""C for Theano's extra ops: cumulative sums and products.

Each `emit_*` function adds the shape code (phase 0) and the compute code (phase 1) of one node,
as kernels.py's do.
"""

from __future__ import annotations

from graphlab_kernel.backend.c.writer import Writer, alloc, ctype, op_label, size_code


def _lanes(w: Writer, x, axis: int, names: list[str]) -> tuple[list[str], list[str], dict]:
    """Nested loops over every axis of x but `axis`, and for each C array name in `names` (of
    x's rank), the byte offset of the current lane: `{name: offset expression}`."""
    r = x.type.ndim
    others = [d for d in range(r) if d != axis]
    a = w.names[x]
    heads = [f"for (int64_t i{d} = 0; i{d} < n_{a}[{d}]; i{d}++) {{" for d in others]
    offsets = {n: " + ".join([f"i{d} * s_{n}[{d}]" for d in others] or ["0"]) for n in names}
    return heads, ["}"] * len(others), offsets


def emit_cumulative(w: Writer, node) -> None:
    """cumsum / cumprod along an axis: each lane (the axis, at fixed other indices) accumulated
    in order, in the output's type (as NumPy accumulates), whatever the strides."""
    op, (x,), (out,) = node.op, node.inputs, node.outputs
    a, name = w.names[x], w.declare(out)
    r, axis = x.type.ndim, op.axis
    w.shape_code += [f"n_{name}[{d}] = n_{a}[{d}];" for d in range(r)]
    w.shape_code.append(size_code(name, r, op_label(node)))
    alloc(w, out, name)
    oc, xc = ctype(out.type.dtype), ctype(x.type.dtype)
    combine = op.c_combine[op.mode].format(acc="acc", x=f"({oc})*(const {xc} *)(bx + j * sx)")
    heads, tails, offsets = _lanes(w, x, axis, [a, name])
    w.run_code += ["{", f"const int64_t nn = n_{a}[{axis}], sx = s_{a}[{axis}], "
                   f"sy = s_{name}[{axis}];", *heads,
                   f"const char *bx = p_{a} + {offsets[a]}; char *by = p_{name} + {offsets[name]};",
                   f"{oc} acc = {op.c_identity[op.mode]};",
                   f"for (int64_t j = 0; j < nn; j++) {{ acc = ({oc})({combine}); "
                   f"*({oc} *)(by + j * sy) = acc; }}", *tails, "}"]


def _emitters() -> dict:
    """The ops these kernels render, for codegen's table (looked up along the op's class MRO)."""
    from graphlab_kernel.tensor.extra_ops import CumOp
    return {CumOp: emit_cumulative}


EXTRA_EMITTERS = _emitters()
