"""Render one C source for a whole FunctionGraph. Only text is produced here; runtime.py compiles.

The generated entry point is

    int gl_run(int phase, char **outs, int64_t *oshape, char *gl_err,
               <per input: char *data, int64_t shape[0..r-1], int64_t strides[0..r-1]>)

Phase 0 computes and checks every shape (writing the outputs' shapes to `oshape`); phase 1 checks
them again and computes into the caller's C-contiguous output buffers `outs`. Each variable is a
data pointer with a shape and byte strides, so views (DimShuffle) cost nothing and inputs of any
layout (transposed, negative strides, broadcast) are read in place. Intermediates are malloc'ed,
freed after their last use, and a dead intermediate's buffer is reused by an elementwise node of
the same dtype and shape (this is also how an in-place Elemwise's destroy_map is honoured).
A nonzero return means an error whose message is in `gl_err` (1: bad shapes, 2: out of memory).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from graphlab_kernel.gof.graph import Constant
from graphlab_kernel.tensor import scalar_ops as S
from graphlab_kernel.tensor.elemwise import DimShuffle, Elemwise
from graphlab_kernel.tensor.math import ArgReduce, Dot, Reduce
from graphlab_kernel.tensor.nnet import LogSoftmax, Softmax
from graphlab_kernel.tensor.blas import _ScaledProduct
from graphlab_kernel.tensor.shape import Shape, Shape_i
from graphlab_kernel.tensor.subtensor import SYMBOLIC, Subtensor

PRELUDE = (Path(__file__).with_name("prelude.h")).read_text()

CTYPES = {"bool": "gl_bool", "int8": "int8_t", "int16": "int16_t", "int32": "int32_t",
          "int64": "int64_t", "uint8": "uint8_t", "uint16": "uint16_t", "uint32": "uint32_t",
          "uint64": "uint64_t", "float32": "float", "float64": "double"}
INT_LIMITS = {d: (np.iinfo(d).min, np.iinfo(d).max) for d in CTYPES if d[0] in "iu"}
EMBED_LIMIT = 256  # constants with more elements are passed in as hidden inputs
MAX_GRAPH_SIZE = 2000  # larger graphs run on NumPy: compiling them would take seconds


class Unsupported(Exception):
    """The graph has an op (or dtype) with no C form; the caller falls back to NumPy."""


@dataclass
class Rendered:
    """A generated C module: its source, its cffi declarations, and how to call it."""

    source: str
    cdef: str
    hidden_inputs: list = field(default_factory=list)   # constant arrays passed after the inputs
    scalar_entry: bool = False                          # gl_scalar(...) exists (all 0-d)


def ctype(dtype: str) -> str:
    if dtype not in CTYPES:
        raise Unsupported(f"dtype {dtype} has no C form")
    return CTYPES[dtype]


def c_literal(value, dtype: str) -> str:
    """An exact C literal for one value of `dtype`."""
    if dtype == "bool":
        return "1" if value else "0"
    if dtype in ("float32", "float64"):
        value = float(value)
        if value != value:
            return "NAN"
        if value in (float("inf"), float("-inf")):
            return "INFINITY" if value > 0 else "-INFINITY"
        return value.hex()
    value = int(value)
    if dtype == "uint64":
        return f"{value}ULL"
    if dtype == "int64" and value == INT_LIMITS["int64"][0]:
        return "(-9223372036854775807LL - 1)"
    return f"{value}LL"


# --- scalar expressions -------------------------------------------------------------------------


def _argument_dtype(op: S.ScalarOp, position: int, in_dtypes, out_dtype: str) -> str | None:
    """The dtype an argument is converted to before `op` applies (None: left as it is)."""
    if isinstance(op, S.Cast) or (isinstance(op, S.Switch) and position == 0):
        return None
    if op.output == "bool" and not isinstance(op, S.Switch):
        return S.upcast(*in_dtypes)
    return out_dtype


def scalar_lines(op: S.ScalarOp, args: list[str], in_dtypes: list[str], out_dtype: str,
                 out_name: str) -> list[str]:
    """C statements declaring `out_name` as `op` applied to the C variables `args`."""
    out_c = ctype(out_dtype)
    if isinstance(op, S.Composite):
        dtypes = op.value_dtypes(*in_dtypes)
        names = list(args)
        lines = []
        for k, (sub, sub_args) in enumerate(op.program):
            name = out_name if k == len(op.program) - 1 else f"{out_name}_{k}"
            lines += scalar_lines(sub, [names[a] for a in sub_args],
                                  [dtypes[a] for a in sub_args], dtypes[op.nin + k], name)
            names.append(name)
        return lines
    if op.c_expr is None:
        raise Unsupported(f"scalar op {op.name} has no C form")
    for d in in_dtypes:
        ctype(d)
    if isinstance(op, S._Rounding) and out_dtype not in ("float32", "float64"):
        expr = args[0]  # rounding an integer changes nothing
    else:
        converted = []
        for i, (a, d) in enumerate(zip(args, in_dtypes)):
            target = _argument_dtype(op, i, in_dtypes, out_dtype)
            converted.append(a if target is None or target == d else f"(({ctype(target)}){a})")
        expr = op.c_expr.format(*converted, ctype=out_c)
    return [f"{out_c} {out_name} = ({out_c})({expr});"]


# --- the module ---------------------------------------------------------------------------------


class _Writer:
    """Accumulates the generated function; holds the C names of every variable."""

    def __init__(self, fgraph):
        self.fgraph = fgraph
        self.names: dict = {}          # variable -> C prefix (p_, n_, s_ arrays)
        self.root: dict = {}           # variable -> the variable owning its buffer
        self.statics: list[str] = []
        self.decls: list[str] = []
        self.shape_code: list[str] = []
        self.run_code: list[str] = []
        self.params: list[str] = []
        self.hidden: list = []
        self.owned: list[str] = []     # C names of malloc'ed buffer slots
        self.out_index = {}            # variable -> first output index it is

    def declare(self, var) -> str:
        name = f"v{len(self.names)}"
        self.names[var] = name
        r = max(var.type.ndim, 1)
        self.decls.append(f"char *p_{name} = 0; int64_t n_{name}[{r}] = {{0}}, "
                          f"s_{name}[{r}] = {{0}}, size_{name} = 1;")
        return name


def render(fgraph) -> Rendered:
    """Generate the C module computing `fgraph`, or raise Unsupported."""
    w = _Writer(fgraph)
    order = fgraph.toposort()
    size = sum(len(n.op.scalar_op.program) if isinstance(n.op, Elemwise) and
               isinstance(n.op.scalar_op, S.Composite) else 1 for n in order)
    if size > MAX_GRAPH_SIZE:
        raise Unsupported(f"the graph has {size} nodes and fused instructions; above "
                          f"{MAX_GRAPH_SIZE}, the C compiler would take longer than NumPy saves")
    for var in fgraph.inputs:
        _input(w, var, len(w.params))
    for node in order:
        for var in node.inputs:
            if isinstance(var, Constant) and var not in w.names:
                _constant(w, var)
    for var in fgraph.outputs:
        if isinstance(var, Constant) and var not in w.names:
            _constant(w, var)
    for k, var in enumerate(fgraph.outputs):
        w.out_index.setdefault(var, k)
    last_use = _last_uses(order, fgraph)
    for step, node in enumerate(order):
        _node(w, node, step, last_use)
    _outputs(w, fgraph)
    return _assemble(w, fgraph)


def _input(w: _Writer, var, _) -> None:
    name = w.declare(var)
    ctype(var.type.dtype)
    r = var.type.ndim
    w.params.append(f"char *in_{name}")
    w.params += [f"int64_t in_n_{name}_{d}" for d in range(r)]
    w.params += [f"int64_t in_s_{name}_{d}" for d in range(r)]
    w.shape_code.append(f"p_{name} = in_{name};")
    for d in range(r):
        w.shape_code.append(f"n_{name}[{d}] = in_n_{name}_{d}; s_{name}[{d}] = in_s_{name}_{d};")
    w.shape_code.append(_size_code(name, r, str(var)))
    w.root[var] = var


def _constant(w: _Writer, var) -> None:
    data = np.asarray(var.data)
    dtype = var.type.dtype
    if data.size > EMBED_LIMIT:
        w.hidden.append(np.ascontiguousarray(data, dtype=dtype))
        _input(w, var, None)
        return
    name = w.declare(var)
    flat = ", ".join(c_literal(x, dtype) for x in data.reshape(-1).tolist()) or "0"
    w.statics.append(f"static const {ctype(dtype)} c_{name}[] = {{{flat}}};")
    w.shape_code.append(f"p_{name} = (char *)c_{name};")
    item = data.dtype.itemsize
    stride = item
    for d in reversed(range(data.ndim)):
        w.shape_code.append(f"n_{name}[{d}] = {data.shape[d]}; s_{name}[{d}] = {stride};")
        stride *= data.shape[d]
    w.shape_code.append(f"size_{name} = {data.size};")
    w.root[var] = var


def _size_code(name: str, r: int, label: str) -> str:
    if r == 0:
        return f"size_{name} = 1;"
    label = label.replace('"', "'").replace("%", "%%")
    return (f"size_{name} = 1; for (int d = 0; d < {r}; d++) {{ if (n_{name}[d] < 0 || "
            f"gl_mul_size(size_{name}, n_{name}[d], &size_{name})) "
            f"{{ status = 2; snprintf(gl_err, 512, \"{label}: shape too large\"); goto done; }} }}")


def _last_uses(order, fgraph) -> dict:
    """For each variable, the index of the last node that reads it (views extend their root)."""
    last = {}
    for step, node in enumerate(order):
        for var in node.inputs:
            last[var] = step
    return last


def _node(w: _Writer, node, step: int, last_use: dict) -> None:
    op = node.op
    if isinstance(op, DimShuffle):
        _dimshuffle(w, node)
    elif isinstance(op, Elemwise):
        _elemwise(w, node, step, last_use)
    elif isinstance(op, Reduce):
        _reduce(w, node)
    elif isinstance(op, Dot):
        _dot(w, node)
    elif isinstance(op, _ScaledProduct) and node.inputs[0].type.dtype in ("float32", "float64"):
        _scaled_product(w, node)
    elif isinstance(op, (Softmax, LogSoftmax)):
        _softmax(w, node, log=isinstance(op, LogSoftmax))
    elif isinstance(op, ArgReduce):
        _arg_reduce(w, node)
    elif isinstance(op, Subtensor):
        _subtensor(w, node)
    elif isinstance(op, Shape):
        _shape(w, node)
    elif isinstance(op, Shape_i):
        _shape(w, node, op.i)
    else:
        raise Unsupported(f"{op} has no C form")
    _free_dead(w, node, step, last_use)


def _label(node) -> str:
    return str(node.op).replace('"', "'").replace("%", "%%")


def _alloc(w: _Writer, var, name: str) -> None:
    """Give `var` a C-contiguous buffer: the caller's output array, or a malloc'ed one."""
    r = var.type.ndim
    item = np.dtype(var.type.dtype).itemsize
    code = w.run_code
    if r:
        code.append(f"s_{name}[{r - 1}] = {item};")
        for d in reversed(range(r - 1)):
            code.append(f"s_{name}[{d}] = s_{name}[{d + 1}] * (n_{name}[{d + 1}] ? "
                        f"n_{name}[{d + 1}] : 1);")
    if var in w.out_index:
        code.append(f"p_{name} = outs[{w.out_index[var]}];")
    else:
        slot = f"buf_{name}"
        w.owned.append(slot)
        code.append(f"{{ int64_t bytes; if (gl_mul_size(size_{name}, {item}, &bytes) || "
                    f"!({slot} = malloc((size_t)bytes + 16))) {{ status = 2; "
                    f"snprintf(gl_err, 512, \"out of memory\"); goto done; }} }}")
        code.append(f"p_{name} = {slot};")
    w.root[var] = var


def _free_dead(w: _Writer, node, step: int, last_use: dict) -> None:
    """Free the buffers whose every user has run."""
    for var in node.inputs:
        root = w.root.get(var)
        if root is None or last_use.get(var) != step:
            continue
        if any(last_use.get(v, -1) > step for v, r in w.root.items() if r is root) or \
                any(w.root.get(o) is root for o in w.fgraph.outputs):
            continue
        slot = f"buf_{w.names[root]}"
        if slot in w.owned:
            w.run_code.append(f"free({slot}); {slot} = 0;")


def _dimshuffle(w: _Writer, node) -> None:
    op, (x,), (out,) = node.op, node.inputs, node.outputs
    a, name = w.names[x], w.declare(out)
    code = [f"p_{name} = p_{a};"]
    for d, src in enumerate(op.new_order):
        if src == "x":
            code.append(f"n_{name}[{d}] = 1; s_{name}[{d}] = 0;")
        else:
            code.append(f"n_{name}[{d}] = n_{a}[{src}]; s_{name}[{d}] = s_{a}[{src}];")
    code.append(f"size_{name} = size_{a};")
    w.shape_code += code
    w.run_code += code  # pointers are only known at run time
    w.root[out] = w.root[x]


def _broadcast_shape_code(w: _Writer, node, name: str, ins: list[str], r: int) -> list[str]:
    label = _label(node)
    fmt = ", ".join(["%s"] * len(ins))
    shapes = ", ".join(f"gl_shape_str(sb{j}, {r}, n_{a})" for j, a in enumerate(ins))
    bufs = " ".join(f"char sb{j}[96];" for j in range(len(ins)))
    code = []
    for d in range(r):
        code.append(f"n_{name}[{d}] = 1;")
        for a in ins:
            code.append(f"if (n_{a}[{d}] != 1) {{ if (n_{name}[{d}] != 1 && n_{name}[{d}] != "
                        f"n_{a}[{d}]) {{ {bufs} GL_FAIL(\"{label}: input shapes {fmt} do not "
                        f"broadcast\", {shapes}); }} n_{name}[{d}] = n_{a}[{d}]; }}")
    code.append(_size_code(name, r, label))
    return code


def _elemwise(w: _Writer, node, step: int, last_use: dict) -> None:
    op, out = node.op, node.outputs[0]
    r = out.type.ndim
    ins = [w.names[v] for v in node.inputs]
    name = w.declare(out)
    w.shape_code += _broadcast_shape_code(w, node, name, ins, r)
    # Reuse a dead intermediate's buffer (in-place) when dtype and shape allow.
    reusable = [v for v in node.inputs
                if w.root.get(v) is v and f"buf_{w.names[v]}" in w.owned
                and last_use.get(v) == step and v.type.dtype == out.type.dtype
                and sum(w.root.get(u) is v for u in node.inputs) == 1 and out not in w.out_index
                and not any(last_use.get(u, -1) > step for u, rt in w.root.items() if rt is v)]
    inplace_first = [node.inputs[i] for _, i in op.inplace_pattern]
    reusable.sort(key=lambda v: v not in inplace_first)
    if reusable:
        t = w.names[reusable[0]]
        same = " && ".join(f"n_{t}[{d}] == n_{name}[{d}]" for d in range(r)) or "1"
        w.run_code.append(f"if ({same}) {{ buf_{name} = buf_{t}; buf_{t} = 0; p_{name} = p_{t};"
                          + "".join(f" s_{name}[{d}] = s_{t}[{d}];" for d in range(r)) + " } else {")
        _alloc(w, out, name)
        w.run_code.append("}")
    else:
        _alloc(w, out, name)
    in_dtypes = [v.type.dtype for v in node.inputs]
    body = scalar_lines(op.scalar_op, [f"x{j}" for j in range(len(ins))], in_dtypes,
                        out.type.dtype, "y")
    single = [all(v.type.broadcastable) for v in node.inputs]
    code, helper = _elemwise_loop(name, ins, in_dtypes, out.type.dtype, r, body, single)
    w.run_code += code
    w.statics += helper


def _elemwise_loop(name, ins, in_dtypes, out_dtype, r, body, single):
    """The loop: a flat one when every operand is contiguous or a single value, else strided.

    `single[j]` says input j is a single value by its type (every dimension broadcastable).
    """
    oc = ctype(out_dtype)
    code = ["{"]
    conds = []
    for j, a in enumerate(ins):
        if single[j] or not r:
            continue
        checks = [f"size_{a} == size_{name}", f"s_{a}[{r - 1}] == {np.dtype(in_dtypes[j]).itemsize}"]
        for d in range(r - 1):
            checks.append(f"(n_{a}[{d}] <= 1 || s_{a}[{d}] == s_{a}[{d + 1}] * n_{a}[{d + 1}])")
        conds.append("(" + " && ".join(checks) + ")")
    if r:
        conds.append(f"s_{name}[{r - 1}] == {np.dtype(out_dtype).itemsize}")
        conds += [f"(n_{name}[{d}] <= 1 || s_{name}[{d}] == s_{name}[{d + 1}] * n_{name}[{d + 1}])"
                  for d in range(r - 1)]
    code.append(f"if ({' && '.join(conds) or '1'}) {{")
    # The flat loop is a function of its own: gcc vectorizes it reliably there (inline, next to
    # the strided loop, it sometimes does not). ivdep: an output buffer is either distinct from
    # the inputs or exactly one of them (in-place), so no iteration depends on another.
    params, args, loads = ["int64_t n"], [f"size_{name}"], []
    for j, a in enumerate(ins):
        cj = ctype(in_dtypes[j])
        if single[j] or not r:
            params.append(f"const {cj} x{j}")
            args.append(f"*(const {cj} *)p_{a}")
        else:
            params.append(f"const {cj} *q{j}")
            args.append(f"(const {cj} *)p_{a}")
            loads.append(f"const {cj} x{j} = q{j}[i];")
    params.append(f"{oc} *qy")
    args.append(f"({oc} *)p_{name}")
    fn = f"gl_flat_{name}"
    helper = [f"static __attribute__((noinline)) void {fn}({', '.join(params)}) {{",
              "#pragma GCC ivdep", "for (int64_t i = 0; i < n; i++) {"]
    helper += loads + body + ["qy[i] = y;", "}", "}"]
    code.append(f"{fn}({', '.join(args)});")
    code += ["} else {"]
    # strided: an odometer over the outer dimensions, a loop over the last
    code.append(f"if (size_{name} > 0) {{")
    for j, a in enumerate(ins):
        strides = ", ".join(f"n_{a}[{d}] == 1 ? 0 : s_{a}[{d}]" for d in range(r)) or "0"
        code.append(f"int64_t t{j}[{max(r, 1)}] = {{{strides}}}; const char *b{j} = p_{a};")
    code.append(f"char *by = p_{name}; int64_t idx[{max(r, 1)}] = {{0}};")
    inner_n = f"n_{name}[{r - 1}]" if r else "1"
    code.append("for (;;) {")
    code.append(f"for (int64_t i = 0; i < {inner_n}; i++) {{")
    for j in range(len(ins)):
        cj = ctype(in_dtypes[j])
        step = f"i * t{j}[{r - 1}]" if r else "0"
        code.append(f"const {cj} x{j} = *(const {cj} *)(b{j} + {step});")
    code += body
    ystep = f"i * s_{name}[{r - 1}]" if r else "0"
    code.append(f"*({oc} *)(by + {ystep}) = y;")
    code.append("}")
    code.append(f"int d = {r - 2};")
    code.append("for (; d >= 0; d--) {")
    code.append("idx[d]++;" + "".join(f" b{j} += t{j}[d];" for j in range(len(ins)))
                + f" by += s_{name}[d];")
    code.append(f"if (idx[d] < n_{name}[d]) break;")
    code.append("".join(f"b{j} -= t{j}[d] * n_{name}[d]; " for j in range(len(ins)))
                + f"by -= s_{name}[d] * n_{name}[d]; idx[d] = 0;")
    code.append("}")
    code.append("if (d < 0) break;")
    code.append("}")
    code.append("}")
    code.append("}")
    code.append("}")
    return code, helper


def _reduce(w: _Writer, node) -> None:
    op, (x,), (out,) = node.op, node.inputs, node.outputs
    a, name = w.names[x], w.declare(out)
    rx = x.type.ndim
    axes = [d for d in op.axis if d < rx]
    kept = [d for d in range(rx) if d not in axes]
    label = _label(node)
    code = [f"n_{name}[{i}] = n_{a}[{d}];" for i, d in enumerate(kept)]
    code.append(_size_code(name, len(kept), label))
    if op.kind in ("max", "min") and axes:
        empty = " || ".join(f"n_{a}[{d}] == 0" for d in axes)
        code.append(f"if (size_{a} == 0 && ({empty})) {{ char sb[96]; GL_FAIL(\"{label}: cannot "
                    f"take the {op.kind} of an empty array of shape %s\", "
                    f"gl_shape_str(sb, {rx}, n_{a})); }}")
    w.shape_code += code
    _alloc(w, out, name)
    odt, xdt = out.type.dtype, x.type.dtype
    oc, xc = ctype(odt), ctype(xdt)
    ident = _identity(op.kind, odt)
    combine = op.c_combine[op.kind].format(acc="acc", x="xv")
    c = w.run_code
    c.append("{")
    c.append(f"{oc} *qy = ({oc} *)p_{name};")
    c.append(f"for (int64_t i = 0; i < size_{name}; i++) qy[i] = {ident};")
    if rx == 0:
        c.append(f"{{ {oc} acc = qy[0]; {oc} xv = ({oc})*(const {xc} *)p_{a}; acc = {combine}; "
                 f"qy[0] = acc; }}")
        c.append("}")
        return
    # byte strides of the output, per input dimension (0 along reduced ones)
    ostr = []
    for d in range(rx):
        ostr.append(f"s_{name}[{kept.index(d)}]" if d in kept else "0")
    c.append(f"if (size_{a} > 0) {{")
    c.append(f"int64_t u[{rx}] = {{{', '.join(ostr)}}}; int64_t idx[{rx}] = {{0}};")
    c.append(f"const char *bx = p_{a}; char *by = p_{name};")
    last = rx - 1
    c.append("for (;;) {")
    c.append(f"const int64_t sx = s_{a}[{last}], nn = n_{a}[{last}];")
    if last in axes:
        c.append(f"{oc} acc = *({oc} *)by;")
        c.append(f"if (sx == sizeof({xc})) {{ const {xc} *qx = (const {xc} *)bx; "
                 f"for (int64_t i = 0; i < nn; i++) {{ {oc} xv = ({oc})qx[i]; acc = {combine}; }} }}")
        c.append(f"else for (int64_t i = 0; i < nn; i++) {{ {oc} xv = ({oc})*(const {xc} *)"
                 f"(bx + i * sx); acc = {combine}; }}")
        c.append(f"*({oc} *)by = acc;")
    else:
        c.append(f"{oc} *ry = ({oc} *)by;")
        c.append(f"for (int64_t i = 0; i < nn; i++) {{ {oc} acc = ry[i]; {oc} xv = ({oc})*(const "
                 f"{xc} *)(bx + i * sx); ry[i] = {combine}; }}")
    c.append(f"int d = {rx - 2};")
    c.append("for (; d >= 0; d--) {")
    c.append(f"idx[d]++; bx += s_{a}[d]; by += u[d];")
    c.append(f"if (idx[d] < n_{a}[d]) break;")
    c.append(f"bx -= s_{a}[d] * n_{a}[d]; by -= u[d] * n_{a}[d]; idx[d] = 0;")
    c.append("}")
    c.append("if (d < 0) break;")
    c.append("}")
    c.append("}")
    c.append("}")


def _identity(kind: str, dtype: str) -> str:
    if kind in ("max", "min"):
        if dtype == "bool":
            return "0" if kind == "max" else "1"
        if dtype in INT_LIMITS:
            lo, hi = INT_LIMITS[dtype]
            return c_literal(lo if kind == "max" else hi, dtype)
        return "-INFINITY" if kind == "max" else "INFINITY"
    return Reduce.c_identity[kind]


def _dot(w: _Writer, node) -> None:
    (x, y), (out,) = node.inputs, node.outputs
    a, b, name = w.names[x], w.names[y], w.declare(out)
    label = _label(node)
    k_x = f"n_{a}[{x.type.ndim - 1}]"
    k_y = f"n_{b}[0]"
    code = [f"if ({k_x} != {k_y}) {{ char sa[96], sb[96]; GL_FAIL(\"{label}: shapes %s and %s are "
            f"not aligned (%lld != %lld)\", gl_shape_str(sa, {x.type.ndim}, n_{a}), "
            f"gl_shape_str(sb, {y.type.ndim}, n_{b}), (long long){k_x}, (long long){k_y}); }}"]
    dims = []
    if x.type.ndim == 2:
        dims.append(f"n_{a}[0]")
    if y.type.ndim == 2:
        dims.append(f"n_{b}[1]")
    code += [f"n_{name}[{i}] = {d};" for i, d in enumerate(dims)]
    code.append(_size_code(name, len(dims), label))
    w.shape_code += code
    _alloc(w, out, name)
    m = f"n_{a}[0]" if x.type.ndim == 2 else "1"
    sa0 = f"s_{a}[0]" if x.type.ndim == 2 else "0"
    sa1 = f"s_{a}[{x.type.ndim - 1}]"
    n = f"n_{b}[1]" if y.type.ndim == 2 else "1"
    sb0 = f"s_{b}[0]"
    sb1 = f"s_{b}[1]" if y.type.ndim == 2 else "0"
    odt = out.type.dtype
    args = f"{m}, {n}, {k_x}, p_{a}, {sa0}, {sa1}, p_{b}, {sb0}, {sb1}"
    if x.type.dtype == y.type.dtype == odt and odt in ("float32", "float64"):
        fn = "gl_matmul_f64" if odt == "float64" else "gl_matmul_f32"
        w.run_code.append(f"if ({fn}({args}, ({ctype(odt)} *)p_{name})) {{ status = 2; "
                          f"snprintf(gl_err, 512, \"out of memory\"); goto done; }}")
        return
    oc, xc, yc = ctype(odt), ctype(x.type.dtype), ctype(y.type.dtype)
    w.run_code.append(
        f"{{ const int64_t m = {m}, n = {n}, k = {k_x}; {oc} *qy = ({oc} *)p_{name};"
        f" for (int64_t i = 0; i < m; i++) for (int64_t j = 0; j < n; j++) {{ {oc} acc = 0;"
        f" for (int64_t p = 0; p < k; p++) acc += ({oc})*(const {xc} *)(p_{a} + i * {sa0} + p * {sa1})"
        f" * ({oc})*(const {yc} *)(p_{b} + p * {sb0} + j * {sb1}); qy[i * n + j] = acc; }} }}")


def _scaled_product(w: _Writer, node) -> None:
    """Gemv / Gemm: beta * z + alpha * dot(a, b), the product by BLAS, then one pass for z."""
    (z, alpha, x, y, beta), (out,) = node.inputs, node.outputs
    za, al, a, b, be = (w.names[v] for v in (z, alpha, x, y, beta))
    name = w.declare(out)
    label = _label(node)
    r = out.type.ndim
    k_x, k_y = f"n_{a}[1]", f"n_{b}[0]"
    dims = [f"n_{a}[0]"] + ([f"n_{b}[1]"] if y.type.ndim == 2 else [])
    code = [f"if ({k_x} != {k_y}) {{ char sa[96], sb[96]; GL_FAIL(\"{label}: shapes %s and %s are "
            f"not aligned (%lld != %lld)\", gl_shape_str(sa, 2, n_{a}), "
            f"gl_shape_str(sb, {y.type.ndim}, n_{b}), (long long){k_x}, (long long){k_y}); }}"]
    code += [f"n_{name}[{i}] = {d};" for i, d in enumerate(dims)]
    bad = " || ".join(f"(n_{za}[{d}] != 1 && n_{za}[{d}] != n_{name}[{d}])" for d in range(r))
    code.append(f"if ({bad}) {{ char sa[96], sb[96]; GL_FAIL(\"{label}: z has shape %s but "
                f"dot(a, b) has %s\", gl_shape_str(sa, {r}, n_{za}), "
                f"gl_shape_str(sb, {r}, n_{name})); }}")
    code.append(_size_code(name, r, label))
    w.shape_code += code
    _alloc(w, out, name)
    dt = out.type.dtype
    oc = ctype(dt)
    fn = "gl_matmul_f64" if dt == "float64" else "gl_matmul_f32"
    n = f"n_{b}[1]" if y.type.ndim == 2 else "1"
    sb1 = f"s_{b}[1]" if y.type.ndim == 2 else "0"
    w.run_code.append(f"if ({fn}(n_{a}[0], {n}, {k_x}, p_{a}, s_{a}[0], s_{a}[1], p_{b}, s_{b}[0], "
                      f"{sb1}, ({oc} *)p_{name})) {{ status = 2; snprintf(gl_err, 512, "
                      f"\"out of memory\"); goto done; }}")
    zs = [f"(n_{za}[{d}] == 1 ? 0 : s_{za}[{d}])" for d in range(r)]
    inner = f"for (int64_t j = 0; j < {n}; j++) {{ {oc} zv = *(const {oc} *)(p_{za} + i * {zs[0]}"
    inner += f" + j * {zs[1]}" if r == 2 else ""
    w.run_code.append(
        f"{{ const {oc} al = *(const {oc} *)p_{al}, be = *(const {oc} *)p_{be}; {oc} *qy = "
        f"({oc} *)p_{name}; for (int64_t i = 0; i < n_{name}[0]; i++) {inner}); "
        f"qy[i * {n} + j] = be * zv + al * qy[i * {n} + j]; }} }}")


def _nested_loops(dims: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """`for` headers over (index name, length expression) pairs, and their closing braces."""
    return ([f"for (int64_t {i} = 0; {i} < {n}; {i}++) {{" for i, n in dims], ["}"] * len(dims))


def _softmax(w: _Writer, node, log: bool) -> None:
    """softmax / log_softmax over the last axis: max, exp and sum, then scale, one row at a time."""
    (x,), (out,) = node.inputs, node.outputs
    a, name = w.names[x], w.declare(out)
    r = x.type.ndim
    w.shape_code += [f"n_{name}[{d}] = n_{a}[{d}];" for d in range(r)]
    w.shape_code.append(_size_code(name, r, _label(node)))
    _alloc(w, out, name)
    oc, xc = ctype(out.type.dtype), ctype(x.type.dtype)
    math = "" if oc == "double" else "f"
    heads, tails = _nested_loops([(f"i{d}", f"n_{a}[{d}]") for d in range(r - 1)])
    offset_x = " + ".join([f"i{d} * s_{a}[{d}]" for d in range(r - 1)] or ["0"])
    offset_y = " + ".join([f"i{d} * s_{name}[{d}]" for d in range(r - 1)] or ["0"])
    last = r - 1
    body = [
        f"const char *rx = p_{a} + {offset_x}; {oc} *ry = ({oc} *)(p_{name} + {offset_y});",
        f"const int64_t nn = n_{a}[{last}], sx = s_{a}[{last}];",
        "if (nn > 0) {",
        f"{oc} m = ({oc})*(const {xc} *)rx;",
        f"for (int64_t j = 1; j < nn; j++) {{ {oc} v = ({oc})*(const {xc} *)(rx + j * sx); "
        f"m = gl_max(v, m); }}",
        f"{oc} total = 0;",
        f"for (int64_t j = 0; j < nn; j++) {{ {oc} e = exp{math}(({oc})*(const {xc} *)(rx + j * sx)"
        f" - m); ry[j] = e; total += e; }}",
    ]
    if log:
        body.append(f"{oc} lt = log{math}(total); for (int64_t j = 0; j < nn; j++) ry[j] = "
                    f"(({oc})*(const {xc} *)(rx + j * sx) - m) - lt;")
    else:
        body.append("for (int64_t j = 0; j < nn; j++) ry[j] = ry[j] / total;")
    body.append("}")
    w.run_code += ["{"] + heads + body + tails + ["}"]


def _arg_reduce(w: _Writer, node) -> None:
    """argmax / argmin: the first extreme (a NaN counts as one) in C order over the axes."""
    op, (x,), (out,) = node.op, node.inputs, node.outputs
    a, name = w.names[x], w.declare(out)
    r = x.type.ndim
    axes = list(op.axis)
    kept = [d for d in range(r) if d not in axes]
    label = _label(node)
    code = [f"n_{name}[{i}] = n_{a}[{d}];" for i, d in enumerate(kept)]
    empty = " || ".join(f"n_{a}[{d}] == 0" for d in axes) or "0"
    code.append(f"if ({empty}) {{ char sb[96]; GL_FAIL(\"{label}: cannot take the {op.kind} of an "
                f"empty array of shape %s\", gl_shape_str(sb, {r}, n_{a})); }}")
    code.append(_size_code(name, len(kept), label))
    w.shape_code += code
    _alloc(w, out, name)
    xc = ctype(x.type.dtype)
    better = ">" if op.kind == "argmax" else "<"
    outer_h, outer_t = _nested_loops([(f"i{d}", f"n_{a}[{d}]") for d in kept])
    inner_h, inner_t = _nested_loops([(f"i{d}", f"n_{a}[{d}]") for d in axes])
    offset = " + ".join(f"i{d} * s_{a}[{d}]" for d in range(r)) or "0"
    w.run_code += ["{", "int64_t o = 0;"] + outer_h + [
        f"int64_t k = 0, best_k = 0; {xc} best = 0;"] + inner_h + [
        f"{xc} v = *(const {xc} *)(p_{a} + {offset});",
        f"if (k == 0 || (v {better} best) || (v != v && best == best)) {{ best = v; best_k = k; }}",
        "k++;"] + inner_t + ["((int64_t *)p_%s)[o++] = best_k;" % name] + outer_t + ["}"]


def _subtensor(w: _Writer, node) -> None:
    """x[idx] with integers and slices: a view (new shape, strides and data offset).

    Symbolic indices must be function inputs or constants, whose values are known when shapes
    are computed (phase 0); otherwise the graph runs on NumPy."""
    op, (x, *scalars), (out,) = node.op, node.inputs, node.outputs
    for v in scalars:
        if not (isinstance(v, Constant) or v in w.fgraph.inputs):
            raise Unsupported(f"{op} with an index computed inside the graph")
    a, name = w.names[x], w.declare(out)
    label = _label(node)
    values = iter(scalars)

    def value(v, default: str) -> str:
        if v is None:
            return default
        if v == SYMBOLIC:
            s = next(values)
            return f"(int64_t)*(const {ctype(s.type.dtype)} *)p_{w.names[s]}"
        return f"(int64_t){int(v)}LL"

    code = [f"{{ const char *base = p_{a};"]
    d_out = 0
    for axis in range(x.type.ndim):
        entry = op.idx_list[axis] if axis < len(op.idx_list) else ("slice", None, None, None)
        n, st = f"n_{a}[{axis}]", f"s_{a}[{axis}]"
        if entry[0] == "index":
            code.append(f"{{ const int64_t given = {value(entry[1], '0')}; int64_t i = given; "
                        f"if (i < 0) i += {n}; if (i < 0 || i >= {n}) {{ char sb[96]; status = 3; "
                        f"snprintf(gl_err, 512, \"{label}: index %lld is out of range for axis "
                        f"{axis} of length %lld (input shape %s)\", (long long)given, "
                        f"(long long){n}, gl_shape_str(sb, {x.type.ndim}, n_{a})); goto done; }}"
                        f" base += i * {st}; }}")
            continue
        step = value(entry[3], "1")
        code.append(f"{{ int64_t L = {n}, step = {step}; if (step == 0) GL_FAIL(\"{label}: slice "
                    f"step cannot be zero\");")
        code.append(f"int64_t start = {value(entry[1], '(step > 0 ? 0 : L - 1)')}, "
                    f"stop = {value(entry[2], '(step > 0 ? L : -1 - L)')}, count;")
        code.append("if (start < 0) start += L; if (stop < 0) stop += L;")
        code.append("if (step > 0) { if (start < 0) start = 0; if (start > L) start = L; "
                    "if (stop < 0) stop = 0; if (stop > L) stop = L; "
                    "count = stop > start ? (stop - start - 1) / step + 1 : 0; }")
        code.append("else { if (start < 0) start = -1; if (start >= L) start = L - 1; "
                    "if (stop < 0) stop = -1; if (stop >= L) stop = L - 1; "
                    "count = start > stop ? (start - stop - 1) / (-step) + 1 : 0; }")
        code.append(f"n_{name}[{d_out}] = count; s_{name}[{d_out}] = {st} * step; "
                    f"if (count > 0) base += start * {st}; }}")
        d_out += 1
    code.append(f"p_{name} = (char *)base; }}")
    code.append(_size_code(name, out.type.ndim, label))
    w.shape_code += code
    w.run_code += code
    w.root[out] = w.root[x]


def _shape(w: _Writer, node, axis: int | None = None) -> None:
    (x,), (out,) = node.inputs, node.outputs
    a, name = w.names[x], w.declare(out)
    rx = x.type.ndim
    if axis is None:
        w.shape_code += [f"n_{name}[0] = {rx};", f"size_{name} = {rx};"]
    else:
        w.shape_code.append(f"size_{name} = 1;")
    _alloc(w, out, name)
    if axis is None:
        w.run_code += [f"((int64_t *)p_{name})[{d}] = n_{a}[{d}];" for d in range(rx)]
    else:
        w.run_code.append(f"((int64_t *)p_{name})[0] = n_{a}[{axis}];")


def _outputs(w: _Writer, fgraph) -> None:
    """Write each output's shape; copy outputs that are not already in the caller's buffer."""
    offset = 0
    for k, var in enumerate(fgraph.outputs):
        name = w.names[var]
        r = var.type.ndim
        for d in range(r):
            w.shape_code.append(f"oshape[{offset + d}] = n_{name}[{d}];")
        offset += r
        written = var.owner is not None and w.out_index.get(var) == k and w.root.get(var) is var \
            and not isinstance(var.owner.op, DimShuffle)
        if written:
            continue
        # An input, a constant, a view, or a repeated output: copy into the fresh array.
        dc = ctype(var.type.dtype)
        item = np.dtype(var.type.dtype).itemsize
        c = w.run_code
        c.append(f"if (size_{name} > 0) {{ {dc} *qy = ({dc} *)outs[{k}]; int64_t idx[{max(r, 1)}]"
                 f" = {{0}}; const char *bx = p_{name}; int64_t i = 0;")
        if r == 0:
            c.append(f"qy[0] = *(const {dc} *)bx; }}")
            continue
        c.append("for (;;) {")
        c.append(f"for (int64_t j = 0; j < n_{name}[{r - 1}]; j++) qy[i++] = *(const {dc} *)"
                 f"(bx + j * s_{name}[{r - 1}]);")
        c.append(f"int d = {r - 2}; for (; d >= 0; d--) {{ idx[d]++; bx += s_{name}[d]; "
                 f"if (idx[d] < n_{name}[d]) break; bx -= s_{name}[d] * n_{name}[d]; idx[d] = 0; }}")
        c.append("if (d < 0) break; } }")
        del item


def _assemble(w: _Writer, fgraph) -> Rendered:
    params = ", ".join(["int phase", "char **outs", "int64_t *oshape", "char *gl_err"] + w.params)
    lines = [PRELUDE, *w.statics, "",
             f"int gl_run({params})", "{", "int status = 0;"]
    lines += w.decls
    lines += [f"char *{slot} = 0;" for slot in dict.fromkeys(w.owned)]
    lines += ["/* shapes */", *w.shape_code, "if (phase == 0) goto done;", "/* compute */",
              *w.run_code]
    lines += ["done:"] + [f"free({slot});" for slot in dict.fromkeys(w.owned)]
    lines += ["return status;", "}"]
    cdef = f"int gl_run({params});"
    scalar = _scalar_entry(fgraph, w)
    if scalar:
        lines += ["", scalar[0]]
        cdef += "\n" + scalar[1]
    source = "\n".join(lines) + "\n"
    return Rendered(source, cdef, w.hidden, bool(scalar))


def _scalar_entry(fgraph, w: _Writer):
    """For one-output, all-0-d float64/int64 graphs: `T gl_scalar(values...)`, a by-value entry.

    It returns the output itself; on failure (only malloc can fail) it returns a sentinel (NaN,
    or INT64_MIN) and records the status, which `gl_scalar_failed()` reads and clears."""
    ins, outs = fgraph.inputs, fgraph.outputs
    if w.hidden or not ins or len(outs) != 1 or any(v.type.ndim for v in ins + outs):
        return None
    if any(v.type.dtype not in ("float64", "int64") for v in ins + outs):
        return None
    rc = ctype(outs[0].type.dtype)
    sentinel = "NAN" if rc == "double" else "INT64_MIN"
    params = ", ".join(f"{ctype(v.type.dtype)} a{i}" for i, v in enumerate(ins))
    call = ", ".join(["1", "o", "sh", "err"] + [f"(char *)&a{i}" for i in range(len(ins))])
    body = (f"static __thread int gl_scalar_status;\n"
            f"int gl_scalar_failed(void) {{ int s = gl_scalar_status; gl_scalar_status = 0; "
            f"return s; }}\n"
            f"{rc} gl_scalar({params}) {{ {rc} r; char err[512]; char *o[1] = {{(char *)&r}}; "
            f"int64_t sh[1]; int status = gl_run({call}); if (status) {{ gl_scalar_status = "
            f"status; return {sentinel}; }} return r; }}")
    return body, f"int gl_scalar_failed(void);\n{rc} gl_scalar({params});"
