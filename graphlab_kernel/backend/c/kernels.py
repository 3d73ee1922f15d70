"""C for the non-elementwise ops: reductions, matrix products, softmax, indexing, shapes.

Each `emit_*` function adds the shape code (phase 0) and the compute code (phase 1) of one node.
"""

from __future__ import annotations

import numpy as np

from graphlab_kernel.tensor.math import Reduce
from graphlab_kernel.tensor.subtensor import SYMBOLIC
from graphlab_kernel.backend.c.writer import (ERROR_FLAG, INT_LIMITS, Unsupported, Writer, alloc,
                                              c_literal, ctype, flag_store, int64_value, op_label, output_like,
                                              size_code, strided_copy)


def emit_reduce(w: Writer, node) -> None:
    op, (x,), (out,) = node.op, node.inputs, node.outputs
    a, name = w.names[x], w.declare(out)
    rx = x.type.ndim
    axes = [d for d in op.axis if d < rx]
    kept = [d for d in range(rx) if d not in axes]
    label = op_label(node)
    code = [f"n_{name}[{i}] = n_{a}[{d}];" for i, d in enumerate(kept)]
    code.append(size_code(name, len(kept), label))
    if op.kind in ("max", "min") and axes:
        empty = " || ".join(f"n_{a}[{d}] == 0" for d in axes)
        code.append(f"if (size_{a} == 0 && ({empty})) {{ char sb[96]; GL_FAIL(\"{label}: cannot "
                    f"take the {op.kind} of an empty array of shape %s\", "
                    f"gl_shape_str(sb, {rx}, n_{a})); }}")
    w.shape_code += code
    alloc(w, out, name)
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
        helper = f"gl_reduce_{name}"
        w.statics += _run_reduction(helper, op.kind, oc, xc, ident)
        c.append(f"{oc} acc = *({oc} *)by;")
        c.append(f"if (sx == sizeof({xc})) {{ {oc} xv = {helper}((const {xc} *)bx, nn); "
                 f"acc = {combine}; }}")
        c.append(f"else for (int64_t i = 0; i < nn; i++) {{ {oc} xv = ({oc})*(const {xc} *)"
                 f"(bx + i * sx); acc = {combine}; }}")
        c.append(f"*({oc} *)by = acc;")
    else:
        # along the rows: one accumulator per output element; a contiguous row is combined into
        # them by a helper of its own, which gcc vectorizes (inside gl_run, whose guessed profile
        # ranks the compute code cold after its many error checks, it is optimized for size)
        helper = f"gl_acc_{name}"
        w.statics += [f"static __attribute__((noinline)) void {helper}(int64_t n, const {xc} *qx, "
                      f"{oc} *ry) {{", "#pragma GCC ivdep",
                      f"for (int64_t i = 0; i < n; i++) {{ {oc} acc = ry[i]; {oc} xv = ({oc})qx[i]; "
                      f"ry[i] = {combine}; }}", "}"]
        c.append(f"{oc} *ry = ({oc} *)by;")
        c.append(f"if (sx == sizeof({xc})) {helper}(nn, (const {xc} *)bx, ry);")
        c.append(f"else for (int64_t i = 0; i < nn; i++) {{ {oc} acc = ry[i]; {oc} xv = ({oc})"
                 f"*(const {xc} *)(bx + i * sx); ry[i] = {combine}; }}")
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


def _run_reduction(fn: str, kind: str, oc: str, xc: str, ident: str) -> list[str]:
    """`fn(x, n)`: the reduction of a contiguous run, with eight independent accumulators (which
    the compiler keeps in vector registers) combined in a fixed tree, and halves of a run above
    1024 items reduced separately (pairwise, as NumPy sums): a reassociation of the sequential
    loop, as fast as the loads allow and accurate to O(log n) roundings for sums."""
    def comb(a: str, b: str) -> str:
        return Reduce.c_combine[kind].format(acc=a, x=b)
    vector = {"double": "f64", "float": "f32"}.get(oc)
    if kind in ("max", "min") and vector and xc == oc:
        return [f"static {oc} {fn}(const {xc} *x, int64_t n) {{ "
                f"return gl_{kind}_run_{vector}(x, n); }}"]
    lanes = [f"a{l}" for l in range(8)]
    return [
        f"static {oc} {fn}(const {xc} *x, int64_t n) {{",
        f"if (n > 1024) {{ const int64_t h = (n / 2) & ~(int64_t)7; "
        f"const {oc} lo = {fn}(x, h), hi = {fn}(x + h, n - h); return {comb('lo', 'hi')}; }}",
        f"{oc} {', '.join(f'{a} = {ident}' for a in lanes)};",
        "int64_t i = 0;",
        "for (; i + 8 <= n; i += 8) {",
        *[f"{a} = {comb(a, f'({oc})x[i + {l}]')};" for l, a in enumerate(lanes)],
        "}",
        f"for (; i < n; i++) a0 = {comb('a0', f'({oc})x[i]')};",
        f"a0 = {comb('a0', 'a1')}; a2 = {comb('a2', 'a3')}; a4 = {comb('a4', 'a5')}; "
        f"a6 = {comb('a6', 'a7')};",
        f"a0 = {comb('a0', 'a2')}; a4 = {comb('a4', 'a6')};",
        f"return {comb('a0', 'a4')};",
        "}",
    ]


def _identity(kind: str, dtype: str) -> str:
    if kind in ("max", "min"):
        if dtype == "bool":
            return "0" if kind == "max" else "1"
        if dtype in INT_LIMITS:
            lo, hi = INT_LIMITS[dtype]
            return c_literal(lo if kind == "max" else hi, dtype)
        return "-INFINITY" if kind == "max" else "INFINITY"
    return Reduce.c_identity[kind]


def emit_dot(w: Writer, node) -> None:
    (x, y), (out,) = node.inputs, node.outputs
    a, b, name = w.names[x], w.names[y], w.declare(out)
    label = op_label(node)
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
    code.append(size_code(name, len(dims), label))
    w.shape_code += code
    alloc(w, out, name)
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
        w.run_code.append(f"{fn}({args}, 1, 0, ({ctype(odt)} *)p_{name});")
        return
    oc, xc, yc = ctype(odt), ctype(x.type.dtype), ctype(y.type.dtype)
    w.run_code.append(
        f"{{ const int64_t m = {m}, n = {n}, k = {k_x}; {oc} *qy = ({oc} *)p_{name};"
        f" for (int64_t i = 0; i < m; i++) for (int64_t j = 0; j < n; j++) {{ {oc} acc = 0;"
        f" for (int64_t p = 0; p < k; p++) acc += ({oc})*(const {xc} *)"
        f"(p_{a} + i * {sa0} + p * {sa1})"
        f" * ({oc})*(const {yc} *)(p_{b} + p * {sb0} + j * {sb1}); qy[i * n + j] = acc; }} }}")


def emit_scaled_product(w: Writer, node) -> None:
    """Gemv / Gemm: beta * z + alpha * dot(a, b), the product by BLAS, then one pass for z."""
    (z, alpha, x, y, beta), (out,) = node.inputs, node.outputs
    za, al, a, b, be = (w.names[v] for v in (z, alpha, x, y, beta))
    name = w.declare(out)
    label = op_label(node)
    r = out.type.ndim
    k_x, k_y = f"n_{a}[1]", f"n_{b}[0]"
    dims = [f"n_{a}[0]"] + ([f"n_{b}[1]"] if y.type.ndim == 2 else [])
    code = [f"if ({k_x} != {k_y}) {{ char sa[96], sb[96]; GL_FAIL(\"{label}: shapes %s and %s are "
            f"not aligned (%lld != %lld)\", gl_shape_str(sa, 2, n_{a}), "
            f"gl_shape_str(sb, {y.type.ndim}, n_{b}), (long long){k_x}, (long long){k_y}); }}"]
    code += [f"n_{name}[{i}] = {d};" for i, d in enumerate(dims)]
    bad = " || ".join(f"n_{za}[{d}] != n_{name}[{d}]" if not z.type.broadcastable[d] else
                      f"(n_{za}[{d}] != 1 && n_{za}[{d}] != n_{name}[{d}])" for d in range(r))
    code.append(f"if ({bad}) {{ char sa[96], sb[96]; GL_FAIL(\"{label}: z has shape %s but "
                f"dot(a, b) has %s\", gl_shape_str(sa, {r}, n_{za}), "
                f"gl_shape_str(sb, {r}, n_{name})); }}")
    code.append(size_code(name, r, label))
    w.shape_code += code
    alloc(w, out, name)
    dt = out.type.dtype
    oc = ctype(dt)
    fn = "gl_matmul_f64" if dt == "float64" else "gl_matmul_f32"
    n = f"n_{b}[1]" if y.type.ndim == 2 else "1"
    sb1 = f"s_{b}[1]" if y.type.ndim == 2 else "0"
    # beta * z first (broadcast into the output), then BLAS adds alpha * dot(a, b) to it: one
    # pass over the output fewer than computing the product and combining afterwards. A z of the
    # output's shape in C order (the usual case: a weight matrix's update) is one contiguous run,
    # scaled (or copied, beta = 1) in parts; others go through a general loop. When the output
    # is z's own array (a shared variable updated in place, see codegen._in_place_updates) and
    # beta is 1, there is nothing to do before the product.
    zs = [f"(n_{za}[{d}] == 1 ? 0 : s_{za}[{d}])" for d in range(r)]
    inner = f"for (int64_t j = 0; j < {n}; j++) {{ {oc} zv = *(const {oc} *)(p_{za} + i * {zs[0]}"
    inner += f" + j * {zs[1]}" if r == 2 else ""
    item = np.dtype(dt).itemsize
    contiguous = " && ".join([f"size_{za} == size_{name}", f"(n_{za}[{r - 1}] <= 1 || "
                              f"s_{za}[{r - 1}] == {item})"]
                             + ([f"(n_{za}[0] <= 1 || s_{za}[0] == {item} * n_{za}[1])"]
                                if r == 2 else []))
    sfx = "f64" if dt == "float64" else "f32"
    w.run_code.append(
        f"{{ const {oc} al = *(const {oc} *)p_{al}, be = *(const {oc} *)p_{be}; {oc} *qy = "
        f"({oc} *)p_{name}; if (p_{za} == p_{name} && be == 1) {{ }} "
        f"else if ({contiguous}) {{ struct gl_scale_{sfx} k = {{(const {oc} *)p_{za}, "
        f"qy, be, size_{name}, gl_parts(size_{name})}}; gl_parallel(gl_scale_task_{sfx}, &k, "
        f"k.nparts); }} else for (int64_t i = 0; i < n_{name}[0]; i++) {inner}); "
        f"qy[i * {n} + j] = be * zv; }}")
    w.parallel = True
    w.run_code.append(f"{fn}(n_{a}[0], {n}, {k_x}, p_{a}, s_{a}[0], s_{a}[1], p_{b}, s_{b}[0], "
                      f"{sb1}, al, 1, qy); }}")


def _nested_loops(dims: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """`for` headers over (index name, length expression) pairs, and their closing braces."""
    return ([f"for (int64_t {i} = 0; {i} < {n}; {i}++) {{" for i, n in dims], ["}"] * len(dims))


def emit_softmax(w: Writer, node, log: bool) -> None:
    """softmax / log_softmax over the last axis: max, exp and sum, then scale, one row at a time."""
    (x,), (out,) = node.inputs, node.outputs
    a, name, r = w.names[x], output_like(w, node, out, x), x.type.ndim
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


def emit_softmax_grad(w: Writer, node) -> None:
    """The gradient through softmax, one row at a time: s = sum(dy * sm), then (dy - s) * sm."""
    (dy, sm), (out,) = node.inputs, node.outputs
    name = output_like(w, node, out, sm, equal=(("dy", dy), ("sm", sm)))
    a, b, r = w.names[dy], w.names[sm], sm.type.ndim
    oc, ac, bc = ctype(out.type.dtype), ctype(dy.type.dtype), ctype(sm.type.dtype)
    heads, tails = _nested_loops([(f"i{d}", f"n_{b}[{d}]") for d in range(r - 1)])
    rows = {v: " + ".join([f"i{d} * s_{v}[{d}]" for d in range(r - 1)] or ["0"])
            for v in (a, b, name)}
    last = r - 1
    body = [
        f"const char *ra = p_{a} + {rows[a]}, *rb = p_{b} + {rows[b]};",
        f"{oc} *ry = ({oc} *)(p_{name} + {rows[name]});",
        f"const int64_t nn = n_{b}[{last}], sa = s_{a}[{last}], sb = s_{b}[{last}];",
        f"{oc} total = 0;",
        f"for (int64_t j = 0; j < nn; j++) total += ({oc})*(const {ac} *)(ra + j * sa) * "
        f"({oc})*(const {bc} *)(rb + j * sb);",
        f"for (int64_t j = 0; j < nn; j++) ry[j] = (({oc})*(const {ac} *)(ra + j * sa) - total) * "
        f"({oc})*(const {bc} *)(rb + j * sb);",
    ]
    w.run_code += ["{"] + heads + body + tails + ["}"]


def emit_arg_reduce(w: Writer, node) -> None:
    """argmax / argmin: the first extreme (a NaN counts as one) in C order over the axes."""
    op, (x,), (out,) = node.op, node.inputs, node.outputs
    a, name = w.names[x], w.declare(out)
    r = x.type.ndim
    axes = list(op.axis)
    kept = [d for d in range(r) if d not in axes]
    label = op_label(node)
    code = [f"n_{name}[{i}] = n_{a}[{d}];" for i, d in enumerate(kept)]
    empty = " || ".join(f"n_{a}[{d}] == 0" for d in axes) or "0"
    code.append(f"if ({empty}) {{ char sb[96]; GL_FAIL(\"{label}: cannot take the {op.kind} of an "
                f"empty array of shape %s\", gl_shape_str(sb, {r}, n_{a})); }}")
    code.append(size_code(name, len(kept), label))
    w.shape_code += code
    alloc(w, out, name)
    xc = ctype(x.type.dtype)
    better = ">" if op.kind == "argmax" else "<"
    outer_h, outer_t = _nested_loops([(f"i{d}", f"n_{a}[{d}]") for d in kept])
    inner_h, inner_t = _nested_loops([(f"i{d}", f"n_{a}[{d}]") for d in axes])
    offset = " + ".join(f"i{d} * s_{a}[{d}]" for d in range(r)) or "0"
    w.run_code += ["{", "int64_t o = 0;"] + outer_h + [
        f"int64_t k = 0, best_k = 0; {xc} best = 0;"] + inner_h + [
        f"{xc} v = *(const {xc} *)(p_{a} + {offset});",
        f"if (k == 0 || (v {better} best) || (v != v && best == best)) {{ best = v; best_k = k; }}",
        "k++;"] + inner_t + [f"((int64_t *)p_{name})[o++] = best_k;"] + outer_t + ["}"]


def slice_bounds(idx_list, scalars) -> list:
    """The symbolic scalars that are slice bounds (the others are integer indices)."""
    values, bounds = iter(scalars), []
    for entry in idx_list:
        taken = [next(values) for v in entry[1:] if v == SYMBOLIC]
        if entry[0] == "slice":
            bounds += taken
    return bounds


def _computed_indices(w: Writer, node, idx_list, scalars) -> set:
    """The index scalars computed from array values in the run (not known with the shapes).
    An integer index only moves the view, so it may be one, checked when the node runs; a slice
    bound sets the view's shape, which must be known before outputs are allocated."""
    computed = {v for v in scalars if v not in w.known}
    if any(v in computed for v in slice_bounds(idx_list, scalars)):
        raise Unsupported(f"{node.op} with a slice bound computed from array values")
    return computed


def _out_of_range(label: str, pointer: str | None, dtype: str, axis: int, n: str, rx: int,
                  src: str) -> str:
    """C failing with status 3 (IndexError): the index `given` is out of range for `axis` of
    length `n` of the array `src` (of rank rx). The message shows the index as given: a uint64
    (read as INT64_MAX above it) is shown from `pointer`, its own value."""
    shown = ("%lld", "(long long)given")
    if dtype == "uint64" and pointer is not None:
        shown = ("%llu", f"(unsigned long long)*(const uint64_t *)({pointer})")
    return (f"{{ char sb[96]; status = 3; snprintf(gl_err, 512, \"{label}: index {shown[0]} is out "
            f"of range for axis {axis} of length %lld (input shape %s)\", {shown[1]}, "
            f"(long long){n}, gl_shape_str(sb, {rx}, n_{src})); goto done; }}")


def _view_code(w: Writer, idx_list, scalars, label: str, src: str, dst: str, rx: int,
               skip: set = frozenset()) -> list[str]:
    """C setting p_<dst>, n_<dst>, s_<dst> to the view src[idx] (integers and slices, with
    Python's clamping rules); an integer out of range fails with status 3 (IndexError). Integer
    indices in `skip` (values not computed yet: the shape phase) are left out: they change
    neither the shape nor the strides."""
    values = iter(scalars)

    def value(v, default: str) -> str:
        if v is None:
            return default
        if v == SYMBOLIC:
            s = next(values)
            return int64_value(f"p_{w.names[s]}", s.type.dtype)
        return f"(int64_t){int(v)}LL"

    code = [f"{{ const char *base = p_{src};"]
    d_out = 0
    for axis in range(rx):
        entry = idx_list[axis] if axis < len(idx_list) else ("slice", None, None, None)
        n, st = f"n_{src}[{axis}]", f"s_{src}[{axis}]"
        if entry[0] == "index":
            symbolic = next(values) if entry[1] == SYMBOLIC else None
            if symbolic in skip:
                continue
            if symbolic is None:
                given = f"(int64_t){int(entry[1])}LL"
            else:
                given = int64_value(f"p_{w.names[symbolic]}", symbolic.type.dtype)
            dtype = "int64" if symbolic is None else symbolic.type.dtype
            pointer = None if symbolic is None else f"p_{w.names[symbolic]}"
            code.append(f"{{ const int64_t given = {given}; int64_t i = given; "
                        f"if (i < 0) i += {n}; if (i < 0 || i >= {n}) "
                        f"{_out_of_range(label, pointer, dtype, axis, n, rx, src)}"
                        f" base += i * {st}; }}")
            continue
        # the symbolic scalars come in the order start, stop, step: take them in that order
        start = value(entry[1], "(step > 0 ? 0 : L - 1)")
        stop = value(entry[2], "(step > 0 ? L : -1 - L)")
        step = value(entry[3], "1")
        code.append(f"{{ int64_t L = {n}, step = {step}; if (step == 0) GL_FAIL(\"{label}: slice "
                    f"step cannot be zero\");")
        code.append(f"int64_t start = {start}, stop = {stop}, count;")
        code.append("if (start < 0) start += L; if (stop < 0) stop += L;")
        code.append("if (step > 0) { if (start < 0) start = 0; if (start > L) start = L; "
                    "if (stop < 0) stop = 0; if (stop > L) stop = L; "
                    "count = stop > start ? (stop - start - 1) / step + 1 : 0; }")
        code.append("else { if (start < 0) start = -1; if (start >= L) start = L - 1; "
                    "if (stop < 0) stop = -1; if (stop >= L) stop = L - 1; "
                    "count = start > stop ? (start - stop - 1) / (-step) + 1 : 0; }")
        code.append(f"n_{dst}[{d_out}] = count; s_{dst}[{d_out}] = {st} * step; "
                    f"if (count > 0) base += start * {st}; }}")
        d_out += 1
    code.append(f"p_{dst} = (char *)base; }}")
    return code


def emit_subtensor(w: Writer, node) -> None:
    """x[idx] with integers and slices: a view (new shape, strides and data offset).

    Slice bounds must be known when shapes are computed (phase 0: function inputs, constants, or
    values codegen computes with the shape code). An integer index may be computed from array
    values (x[argmax(x)]): it is checked when the node runs, before any shared variable is
    written in place (those nodes run last)."""
    op, (x, *scalars), (out,) = node.op, node.inputs, node.outputs
    computed = _computed_indices(w, node, op.idx_list, scalars)
    a, name, label = w.names[x], w.declare(out), op_label(node)
    code = _view_code(w, op.idx_list, scalars, label, a, name, x.type.ndim)
    code.append(size_code(name, out.type.ndim, label))
    w.shape_code += (_view_code(w, op.idx_list, scalars, label, a, name, x.type.ndim, computed)
                     + code[-1:]) if computed else code
    w.run_code += code
    w.root[out] = w.root[x]


def region_checks(label: str, checks: list[str], value: tuple, region: tuple, x: tuple
                  ) -> list[str]:
    """C failing with a ValueError when any of `checks` holds: the written value (rank, C name)
    does not broadcast to the region (rank, C name) of the input x (rank, C name)."""
    if not checks:
        return []
    (ry, b), (rr, g), (rx, a) = value, region, x
    return [f"if ({' || '.join(checks)}) {{ char sa[96], sb[96], sc[96]; GL_FAIL(\"{label}: a "
            f"value of shape %s does not broadcast to the region of shape %s (input shape %s)\", "
            f"gl_shape_str(sa, {ry}, n_{b}), gl_shape_str(sb, {rr}, n_{g}), gl_shape_str(sc, "
            f"{rx}, n_{a})); }}"]


def emit_inc_subtensor(w: Writer, node) -> None:
    """set_subtensor / inc_subtensor: a copy of x, then y written (or added) into the region;
    no copy when the output is x's own array (a shared variable updated in place)."""
    op, (x, y, *scalars), (out,) = node.op, node.inputs, node.outputs
    computed = _computed_indices(w, node, op.idx_list, scalars)
    a, b, name, label = w.names[x], w.names[y], w.declare(out), op_label(node)
    rx, ry = x.type.ndim, y.type.ndim
    rr = sum(1 for e in op.idx_list if e[0] == "slice") + rx - len(op.idx_list)
    region = f"rg_{name}"
    decl = f"char *p_{region} = 0; int64_t n_{region}[{max(rr, 1)}], s_{region}[{max(rr, 1)}];"
    checks = []
    for d in range(ry):  # an axis of length 1 broadcasts where y's type says so only
        rd = rr - ry + d
        checks.append(f"n_{b}[{d}] != n_{region}[{rd}]" if not y.type.broadcastable[d] else
                      f"(n_{b}[{d}] != 1 && n_{b}[{d}] != n_{region}[{rd}])")
    code = [f"n_{name}[{d}] = n_{a}[{d}];" for d in range(rx)]
    code += ["{", decl] + _view_code(w, op.idx_list, scalars, label, a, region, rx, computed)
    code += region_checks(label, checks, (ry, b), (rr, region), (rx, a))
    code += ["}", size_code(name, rx, label)]
    w.shape_code += code
    alloc(w, out, name)
    oc, yc = ctype(out.type.dtype), ctype(y.type.dtype)
    run = [f"if (p_{name} != p_{a}) {{"]
    run += strided_copy(f"p_{name}", f"s_{name}", f"p_{a}", f"s_{a}", f"n_{name}", rx, oc, oc)
    run += ["}", "{", decl] + _view_code(w, op.idx_list, scalars, label, name, region, rx)
    ys = ", ".join(["0"] * (rr - ry) + [f"n_{b}[{d}] == 1 ? 0 : s_{b}[{d}]" for d in range(ry)])
    run.append(f"int64_t ys[{max(rr, 1)}] = {{{ys or '0'}}};")
    run += strided_copy(f"p_{region}", f"s_{region}", f"p_{b}", "ys", f"n_{region}", rr, oc, yc,
                        "=" if op.set_instead_of_inc else "+=")
    run.append("}")
    w.run_code += run


def _index_arrays(w: Writer, name: str, x, indices, label: str) -> tuple[list[str], list[str]]:
    """The C of an advanced-indexing node's index arrays (vectors and scalars on x's first axes):
    code setting `len_<name>`, their broadcast length, from their lengths (failing when they do
    not broadcast), and code checking each value against its axis of x, which fails on the first
    out of range, axis by axis (as the NumPy perform does). Both fail with status 3 (IndexError).
    As in NumPy, a vector's values are checked only when the arrays select something, a
    scalar's always."""
    a, rx = w.names[x], x.type.ndim
    w.decls.append(f"int64_t len_{name} = 1;")
    length = [f"len_{name} = 1;"]
    for v in indices:
        if v.type.ndim == 0:
            continue
        n = f"n_{w.names[v]}[0]"
        length.append(f"if ({n} != 1) {{ if (len_{name} != 1 && len_{name} != {n}) {{ char sc[96]; "
                      f"status = 3; snprintf(gl_err, 512, \"{label}: index arrays of shapes (%lld,)"
                      f" and (%lld,) do not broadcast together (input shape %s)\", (long long)"
                      f"len_{name}, (long long){n}, gl_shape_str(sc, {rx}, n_{a})); goto done; }}"
                      f" len_{name} = {n}; }}")
    checks = []
    for axis, v in enumerate(indices):
        i, n = w.names[v], f"n_{a}[{axis}]"
        count, at = (f"n_{i}[0]", f"p_{i} + t * s_{i}[0]") if v.type.ndim else ("1", f"p_{i}")
        checks.append(f"{f'if (len_{name} > 0) ' if v.type.ndim else ''}for (int64_t t = 0; "
                      f"t < {count}; t++) {{ const int64_t given = "
                      f"{int64_value(at, v.type.dtype)}; if (given < -{n} || given >= {n}) "
                      f"{_out_of_range(label, at, v.type.dtype, axis, n, rx, a)} }}")
    return length, checks


def _index_cursors(w: Writer, indices) -> list[str]:
    """C declaring, per index array j, `ix<j>` (its data) and `is<j>` (its byte step from one
    selected element to the next: 0 for a scalar or a length-1 vector, broadcast)."""
    code = []
    for j, v in enumerate(indices):
        i = w.names[v]
        step = f"n_{i}[0] == 1 ? 0 : s_{i}[0]" if v.type.ndim else "0"
        code.append(f"const char *ix{j} = p_{i}; const int64_t is{j} = {step};")
    return code


def _index_offsets(w: Writer, indices, cursor: str, lengths: str, strides: str) -> list[str]:
    """C moving the pointer `cursor` to the element selected at position t: each index value
    (known to be in range), wrapped when negative, times its axis's stride."""
    return [f"{{ int64_t i = {int64_value(f'ix{j} + t * is{j}', v.type.dtype)}; if (i < 0) i += "
            f"{lengths}[{j}]; {cursor} += i * {strides}[{j}]; }}" for j, v in enumerate(indices)]


def _place_checks(w: Writer, indices, checks: list[str]) -> None:
    """Index values known with the shapes (function inputs, constants, shape arithmetic) are
    checked there, before anything is computed or written (so an update at them may be computed
    in place); values computed in the run are checked when the node runs, before it writes."""
    if all(v in w.known for v in indices):
        w.shape_code += checks
    else:
        w.run_code += checks


def emit_advanced_subtensor(w: Writer, node) -> None:
    """x[iv] (AdvancedSubtensor1), m[iv, jv, ...] (AdvancedSubtensor): a new array, each selected
    element or sub-array copied in turn (a contiguous one by memcpy). Its shape needs only the
    index arrays' lengths; their values are read when the node runs."""
    (x, *indices), (out,) = node.inputs, node.outputs
    a, name, label = w.names[x], w.declare(out), op_label(node)
    rx, k = x.type.ndim, len(indices)
    length, checks = _index_arrays(w, name, x, indices, label)
    w.shape_code += length + [f"n_{name}[0] = len_{name};"]
    w.shape_code += [f"n_{name}[{d + 1 - k}] = n_{a}[{d}];" for d in range(k, rx)]
    w.shape_code.append(size_code(name, out.type.ndim, label))
    _place_checks(w, indices, checks)
    alloc(w, out, name)
    oc, item = ctype(out.type.dtype), np.dtype(out.type.dtype).itemsize
    run = [f"if (len_{name} > 0) {{", *_index_cursors(w, indices)]
    contiguous = " && ".join(f"(n_{a}[{d}] <= 1 || s_{a}[{d}] == {_c_stride(a, d, rx, item)})"
                             for d in range(k, rx)) or "1"
    row_bytes = " * ".join([str(item)] + [f"n_{a}[{d}]" for d in range(k, rx)])
    run.append(f"const int rows_flat = {contiguous}; const int64_t row_bytes = {row_bytes};")
    run += [f"for (int64_t t = 0; t < len_{name}; t++) {{", f"const char *src = p_{a};",
            *_index_offsets(w, indices, "src", f"n_{a}", f"s_{a}"),
            f"char *dst = p_{name} + t * s_{name}[0];",
            "if (rows_flat) memcpy(dst, src, row_bytes); else {"]
    run += strided_copy("dst", f"(s_{name} + 1)", "src", f"(s_{a} + {k})", f"(n_{a} + {k})",
                        rx - k, oc, oc)
    run += ["}", "}", "}"]
    w.run_code += run


def emit_advanced_inc_subtensor(w: Writer, node) -> None:
    """inc_subtensor / set_subtensor at index arrays (AdvancedIncSubtensor1, AdvancedIncSubtensor):
    a copy of x (none when the output is x's own array: a shared variable updated in place),
    then y added (or written) at each selected element in turn, so that repeated indices add up
    (np.add.at) or the last write wins (NumPy's assignment)."""
    op, (x, y, *indices), (out,) = node.op, node.inputs, node.outputs
    a, b, name, label = w.names[x], w.names[y], w.declare(out), op_label(node)
    rx, ry, k = x.type.ndim, y.type.ndim, len(indices)
    rr = 1 + rx - k  # the region's rank: the selected elements, then the axes after k
    length, checks = _index_arrays(w, name, x, indices, label)
    code = [f"n_{name}[{d}] = n_{a}[{d}];" for d in range(rx)] + length
    if ry:
        region = ", ".join([f"len_{name}"] + [f"n_{a}[{d}]" for d in range(k, rx)])
        bad = " || ".join(f"n_{b}[{d}] != rg[{rr - ry + d}]" if not y.type.broadcastable[d]
                          else f"(n_{b}[{d}] != 1 && n_{b}[{d}] != rg[{rr - ry + d}])"
                          for d in range(ry))
        code.append(f"{{ const int64_t rg[{rr}] = {{{region}}}; if ({bad}) {{ char sa[96], "
                    f"sb[96], sc[96]; GL_FAIL(\"{label}: a value of shape %s does not broadcast "
                    f"to the region of shape %s (input shape %s)\", gl_shape_str(sa, {ry}, n_{b}),"
                    f" gl_shape_str(sb, {rr}, rg), gl_shape_str(sc, {rx}, n_{a})); }} }}")
    code.append(size_code(name, rx, label))
    w.shape_code += code
    _place_checks(w, indices, checks)
    alloc(w, out, name)
    oc, yc = ctype(out.type.dtype), ctype(y.type.dtype)
    run = [f"if (p_{name} != p_{a}) {{"]
    run += strided_copy(f"p_{name}", f"s_{name}", f"p_{a}", f"s_{a}", f"n_{name}", rx, oc, oc)
    # y's byte strides along the region's axes: 0 where y is broadcast (absent or of length 1)
    ys = ["0"] * (rr - ry) + [f"n_{b}[{d}] == 1 ? 0 : s_{b}[{d}]" for d in range(ry)]
    run += ["}", f"if (len_{name} > 0) {{", *_index_cursors(w, indices),
            f"const int64_t ys[{rr}] = {{{', '.join(ys)}}};",
            f"for (int64_t t = 0; t < len_{name}; t++) {{", f"char *dst = p_{name};",
            *_index_offsets(w, indices, "dst", f"n_{name}", f"s_{name}"),
            f"const char *src = p_{b} + t * ys[0];"]
    run += strided_copy("dst", f"(s_{name} + {k})", "src", "(ys + 1)", f"(n_{name} + {k})", rr - 1,
                        oc, yc, "=" if op.set_instead_of_inc else "+=")
    run += ["}", "}"]
    w.run_code += run


def emit_shape(w: Writer, node, axis: int | None = None) -> None:
    (x,), (out,) = node.inputs, node.outputs
    a, name = w.names[x], w.declare(out)
    rx = x.type.ndim
    if axis is None:
        w.shape_code += [f"n_{name}[0] = {rx};", f"size_{name} = {rx};"]
    else:
        w.shape_code.append(f"size_{name} = 1;")
    alloc(w, out, name)
    if axis is None:
        w.run_code += [f"((int64_t *)p_{name})[{d}] = n_{a}[{d}];" for d in range(rx)]
    else:
        w.run_code.append(f"((int64_t *)p_{name})[0] = n_{a}[{axis}];")


def emit_check_shapes(w: Writer, node) -> None:
    """CheckShapes: its value passed through (a view of it), once every condition holds; else
    the call fails with the op's message, its values written in (status 1, a ValueError, or 3,
    an IndexError). The check runs with the shape code when every condition and value is known
    then (shape arithmetic), else when the node runs."""
    op, (value, *rest), (out,) = node.op, node.inputs, node.outputs
    conditions, shown = rest[:op.n_conditions], rest[op.n_conditions:]
    fails = " || ".join(f"!*(const {ctype(c.type.dtype)} *)p_{w.names[c]}" for c in conditions)
    specs, args = [], []
    for v in shown:
        if v.type.dtype in INT_LIMITS or v.type.dtype == "bool":
            specs.append("%lld")
            args.append(f"(long long){int64_value(f'p_{w.names[v]}', v.type.dtype)}")
        else:
            specs.append("%g")
            args.append(f"(double)*(const {ctype(v.type.dtype)} *)p_{w.names[v]}")
    texts = [_c_text(t) for t in (f"{op.source}: {op.parts[0]}", *op.parts[1:])]
    message = texts[0] + "".join(spec + text for spec, text in zip(specs, texts[1:]))
    status = 3 if op.index_error else 1
    check = (f"if ({fails or '0'}) {{ snprintf(gl_err, 512, \"{message}\""
             f"{''.join(', ' + a for a in args)}); status = {status}; goto done; }}")
    a, name, r = w.names[value], w.declare(out), out.type.ndim
    view = [f"p_{name} = p_{a};", *(f"n_{name}[{d}] = n_{a}[{d}]; s_{name}[{d}] = s_{a}[{d}];"
                                    for d in range(r)), f"size_{name} = size_{a};"]
    known = all(v in w.known for v in rest)
    (w.shape_code if known else w.run_code).append(check)
    w.shape_code += view
    w.run_code += view  # a computed value's pointer is only known when it runs
    w.root[out] = w.root[value]


def _c_text(text: str) -> str:
    """Text as it may appear in a C format string literal."""
    return (text.replace("\\", "\\\\").replace('"', "'").replace("%", "%%")
            .replace("\n", " "))


def emit_reshape(w: Writer, node) -> None:
    """x.reshape(shape): a view of a C-contiguous x, else a contiguous copy. The shape's values
    are needed in phase 0 (codegen computes them with the shape code)."""
    (x, shp), (out,) = node.inputs, node.outputs
    if shp not in w.known:
        raise Unsupported(f"{node.op} with a shape computed from array values")
    a, sv, name = w.names[x], w.names[shp], w.declare(out)
    label, r, rx = op_label(node), out.type.ndim, x.type.ndim
    item = x.type.numpy_dtype.itemsize
    code = [f"{{ char sa[96], sb[96]; int64_t want[{max(r, 1)}], unknown = -1, known = 1;",
            f"if (n_{sv}[0] != {r}) GL_FAIL(\"{label}: got a shape of %lld lengths; expected {r}\","
            f" (long long)n_{sv}[0]);"]
    for d in range(r):
        code.append(f"want[{d}] = {int64_value(f'p_{sv} + {d} * s_{sv}[0]', shp.type.dtype)};")
        code.append(f"if (want[{d}] == -1 && unknown < 0) unknown = {d}; else if (want[{d}] < 0) "
                    f"GL_FAIL(\"{label}: cannot reshape an array of shape %s into a shape with "
                    f"length %lld\", gl_shape_str(sa, {rx}, n_{a}), (long long)want[{d}]); "
                    f"else if (gl_mul_size(known, want[{d}], &known)) GL_FAIL(\"{label}: cannot reshape "
                    f"an array of shape %s into a shape of more than 2**63 - 1 elements\", "
                    f"gl_shape_str(sa, {rx}, n_{a}));")
    code.append(f"if (unknown >= 0) {{ if (known == 0 || size_{a} % known) GL_FAIL(\"{label}: "
                f"cannot reshape an array of shape %s (size %lld) into shape %s\", "
                f"gl_shape_str(sa, {rx}, n_{a}), (long long)size_{a}, "
                f"gl_shape_str(sb, {r}, want)); "
                f"want[unknown] = size_{a} / known; known = size_{a}; }}")
    code.append(f"if (known != size_{a}) GL_FAIL(\"{label}: cannot reshape an array of shape %s "
                f"(size %lld) into shape %s\", gl_shape_str(sa, {rx}, n_{a}), (long long)size_{a}, "
                f"gl_shape_str(sb, {r}, want));")
    code += _unit_axis_checks(out, "want", label)
    code += [f"n_{name}[{d}] = want[{d}];" for d in range(r)]
    code += ["}", size_code(name, r, label)]
    w.shape_code += code
    # run: contiguous strides; the data is x's when x is C-contiguous, else a copy
    run = [f"s_{name}[{r - 1}] = {item};"] if r else []
    run += [f"s_{name}[{d}] = s_{name}[{d + 1}] * (n_{name}[{d + 1}] ? n_{name}[{d + 1}] : 1);"
            for d in reversed(range(r - 1))]
    contiguous = " && ".join([f"(n_{a}[{d}] <= 1 || s_{a}[{d}] == {_c_stride(a, d, rx, item)})"
                              for d in range(rx)] or ["1"])
    slot = f"buf_{name}"
    w.owned.append(slot)
    run.append(f"if ({contiguous}) p_{name} = p_{a}; else {{")
    run.append(f"{{ int64_t bytes; if (gl_mul_size(size_{a}, {item}, &bytes) || !({slot} = "
               f"gl_take(bytes + 16))) {{ status = 2; snprintf(gl_err, 512, \"out of "
               f"memory\"); goto done; }} }}")
    xc = ctype(x.type.dtype)
    run.append(f"int64_t cs[{max(rx, 1)}];")
    if rx:
        run.append(f"cs[{rx - 1}] = {item};")
        run += [f"cs[{d}] = cs[{d + 1}] * (n_{a}[{d + 1}] ? n_{a}[{d + 1}] : 1);"
                for d in reversed(range(rx - 1))]
    run += strided_copy(slot, "cs", f"p_{a}", f"s_{a}", f"n_{a}", rx, xc, xc)
    run += [f"p_{name} = {slot};", "}"]
    w.run_code += run
    w.root[out] = w.root[x]


def _c_stride(a: str, d: int, r: int, item: int) -> str:
    """The byte stride axis d of a C-contiguous array `a` has (lengths of 0 count as 1)."""
    return " * ".join([str(item)] + [f"(n_{a}[{k}] ? n_{a}[{k}] : 1)" for k in range(d + 1, r)])


def _unit_axis_checks(out, lengths: str, label: str) -> list[str]:
    """C that fails unless the C array `lengths` is 1 on each axis `out`'s type says is
    broadcastable (the shape buffer `sb` must be declared)."""
    r = out.type.ndim
    return [f"if ({lengths}[{d}] != 1) GL_FAIL(\"{label}: axis {d} of the result must have length "
            f"1; got shape %s\", gl_shape_str(sb, {r}, {lengths}));"
            for d, must_be_one in enumerate(out.type.broadcastable) if must_be_one]


def emit_join(w: Writer, node) -> None:
    """concatenate(inputs, axis): each input copied (and converted) into its slab of the output."""
    out = node.outputs[0]
    ins = [w.names[v] for v in node.inputs]
    name, label, r, axis = w.declare(out), op_label(node), out.type.ndim, node.op.axis
    first = ins[0]
    code = [f"n_{name}[{axis}] = 0;"]
    for k, a in enumerate(ins):
        others = " || ".join(f"n_{a}[{d}] != n_{first}[{d}]" for d in range(r) if d != axis)
        if others:
            code.append(f"if ({others}) {{ char sa[96]; GL_FAIL(\"{label}: input {k} has shape %s, "
                        f"which does not match input 0 outside axis {axis}\", "
                        f"gl_shape_str(sa, {r}, n_{a})); }}")
        code.append(f"n_{name}[{axis}] += n_{a}[{axis}];")
    code += [f"n_{name}[{d}] = n_{first}[{d}];" for d in range(r) if d != axis]
    code.append(size_code(name, r, label))
    w.shape_code += code
    alloc(w, out, name)
    oc = ctype(out.type.dtype)
    run = ["{ int64_t offset = 0;"]
    for a, v in zip(ins, node.inputs):
        run += ["{"] + strided_copy(f"p_{name} + offset", f"s_{name}", f"p_{a}", f"s_{a}", f"n_{a}",
                                    r, oc, ctype(v.type.dtype))
        run += [f"offset += n_{a}[{axis}] * s_{name}[{axis}]; }}"]
    run.append("}")
    w.run_code += run


def emit_alloc(w: Writer, node) -> None:
    """alloc(value, *lengths): value broadcast to the given shape, in a fresh array. The lengths'
    values are needed in phase 0 (codegen computes them with the shape code)."""
    (value, *lengths), (out,) = node.inputs, node.outputs
    for s in lengths:
        if s not in w.known:
            raise Unsupported(f"{node.op} with a length computed from array values")
    a, name, label = w.names[value], w.declare(out), op_label(node)
    r, rv = out.type.ndim, value.type.ndim
    code = ["{ char sa[96], sb[96];"]
    for d, s in enumerate(lengths):
        code.append(f"n_{name}[{d}] = {int64_value(f'p_{w.names[s]}', s.type.dtype)};")
    code.append(f"for (int d = 0; d < {r}; d++) if (n_{name}[d] < 0) GL_FAIL(\"{label}: negative "
                f"length in shape %s\", gl_shape_str(sb, {r}, n_{name}));")
    for d in range(rv):
        od = r - rv + d
        code.append(f"if (n_{a}[{d}] != 1 && n_{a}[{d}] != n_{name}[{od}]) GL_FAIL(\"{label}: a "
                    f"value of shape %s does not broadcast to shape %s\", gl_shape_str(sa, {rv}, "
                    f"n_{a}), gl_shape_str(sb, {r}, n_{name}));")
    code += _unit_axis_checks(out, f"n_{name}", label)
    code += ["}", size_code(name, r, label)]
    w.shape_code += code
    alloc(w, out, name)
    vc = ctype(value.type.dtype)
    strides = ", ".join(["0"] * (r - rv) + [f"n_{a}[{d}] == 1 ? 0 : s_{a}[{d}]" for d in range(rv)])
    w.run_code += [f"{{ int64_t vs[{max(r, 1)}] = {{{strides or '0'}}};"]
    w.run_code += strided_copy(f"p_{name}", f"s_{name}", f"p_{a}", "vs", f"n_{name}", r, vc, vc)
    w.run_code.append("}")


def emit_eye(w: Writer, node) -> None:
    """eye(n, m, k): zeros, then ones at (i, i + k). Its lengths must be known with the shapes
    (codegen computes them with the shape code), and so its offset, read as an int64 (a uint64
    above INT64_MAX is past every column)."""
    (out,), label = node.outputs, op_label(node)
    if any(v not in w.known for v in node.inputs):
        raise Unsupported(f"{node.op} with a length or offset computed from array values")
    n, m, k = (int64_value(f"p_{w.names[v]}", v.type.dtype) for v in node.inputs)
    oc, name = ctype(out.type.dtype), w.declare(out)
    w.shape_code += [
        f"n_{name}[0] = {n}; n_{name}[1] = {m};",
        f"if (n_{name}[0] < 0 || n_{name}[1] < 0) {{ char sb[96]; GL_FAIL(\"{label}: negative "
        f"length in shape %s\", gl_shape_str(sb, 2, n_{name})); }}",
        size_code(name, 2, label)]
    alloc(w, out, name)
    w.run_code += [
        f"{{ const int64_t rows = n_{name}[0], cols = n_{name}[1], k = {k};",
        f"{oc} *y = ({oc} *)p_{name};",
        f"if (size_{name}) memset(y, 0, (size_t)size_{name} * sizeof({oc}));",
        "if (k < cols && k > -rows) {  /* |k| < max(rows, cols): i + k cannot overflow */",
        "for (int64_t i = k < 0 ? -k : 0; i < rows && i + k < cols; i++) "
        f"y[i * cols + i + k] = ({oc})1; }} }}"]


def emit_arange(w: Writer, node) -> None:
    """arange(start, stop, step). Its length is computed with the shapes, so the three values
    must be known then (codegen computes them with the shape code): ceil((stop - start) /
    step) as NumPy computes it, the quotient rounded to a double first (for integers, from the
    exact difference: NumPy divides Python ints), and refused beyond the int64 range either way.
    The values follow NumPy's fill: out[0] = start, out[1] = start + step, then out[i] = out[0]
    + i * (out[1] - out[0]) in the output's type."""
    (out,), label = node.outputs, op_label(node)
    if any(v not in w.known for v in node.inputs):
        raise Unsupported(f"{node.op} with a bound or step computed from array values")
    ints = all(v.type.dtype in INT_LIMITS for v in node.inputs)
    if not ints and out.type.dtype in INT_LIMITS:
        raise Unsupported(f"{node.op} of float bounds")
    oc, name = ctype(out.type.dtype), w.declare(out)
    if ints:  # exact difference (in 128 bits), rounded once to a long double quotient
        held, wide = "int64_t", "__int128"
        values = [int64_value(f"p_{w.names[v]}", v.type.dtype) for v in node.inputs]
        quotient = "(double)((long double)(b - a) / (long double)h)"
        shown = [("%llu", f"(unsigned long long)*(const uint64_t *)(p_{w.names[v]})")
                 if v.type.dtype == "uint64" else ("%lld", f"(long long){c}")
                 for v, c in zip(node.inputs, "abh")]  # a uint64 as given, not as read
        refusal = (f"\"{label}: the range from {shown[0][0]} to {shown[1][0]} by {shown[2][0]} "
                   f"is too long\", {', '.join(c for _, c in shown)}")
        first, second = "(int64_t)a", "(int64_t)((uint64_t)a + (uint64_t)h)"
    else:
        held = wide = "double"
        values = [f"(double)*(const {ctype(v.type.dtype)} *)(p_{w.names[v]})"
                  for v in node.inputs]
        quotient = "(b - a) / h"
        refusal = (f"\"{label}: cannot compute the length of a range from %g to %g by %g\", "
                   "a, b, h")
        first, second = "a", "a + h"
    w.shape_code += [
        f"{{ const {wide} a = {values[0]}, b = {values[1]}, h = {values[2]};",
        f"if (h == 0) GL_FAIL(\"{label}: the step must not be zero\");",
        f"const double len = ceil({quotient});",
        f"if (len != len || len >= 9.2e18 || len <= -9.2e18) GL_FAIL({refusal});",
        f"n_{name}[0] = len > 0 ? (int64_t)len : 0; }}"]
    read = [f"const {held} a = {values[0]}, h = {values[2]};"]
    w.shape_code.append(size_code(name, 1, label))
    alloc(w, out, name)
    w.run_code += [
        "{", *read, f"{oc} *y = ({oc} *)p_{name}; const int64_t n = n_{name}[0];",
        f"const {oc} y0 = ({oc})({first}), y1 = ({oc})({second}), d = ({oc})(y1 - y0);",
        "if (n > 0) y[0] = y0;", "if (n > 1) y[1] = y1;",
        f"for (int64_t i = 2; i < n; i++) y[i] = ({oc})(y0 + ({oc})i * d);", "}"]


def emit_dot_map_gemv(w: Writer, node, body: list[str], loop_helper, fail: str | None = None
                      ) -> None:
    """DotMapGemv in one pass over X, GL_ROW_BLOCK rows at a time: the rows' dot products with w,
    the scalar program (`body`, reading x0 = the dot and x1, x2, ... = the row inputs, declaring
    y) on each row, and the block's X^T g added into an accumulator while the block is in cache.

    The rows are cut into gl_parts(n * k / 2) parts run in parallel, each with its own
    accumulator; the accumulators are then summed in part order, so the result does not depend on
    the threads. Parts twice the usual size: the seed's 400 x 784 step then has two, one per
    thread on two cores, each thread usually taking the same half of X from one call to the next
    (measured: 1.5 to 3 us less per step than four parts, in three alternating runs).
    `loop_helper(fn, in_dtypes, single, ctype, body)` makes the program's vectorizable loop.
    `fail`, when the body sets ERROR_FLAG (an integer power in a program), is the C failing the
    call: each part keeps a flag, and the call fails after the pass if one was set."""
    (X, vec, z, alpha, beta, *rows), (d, g, r, *extras) = node.inputs, node.outputs
    xa, wa, za, al, be = (w.names[v] for v in (X, vec, z, alpha, beta))
    ra = [w.names[v] for v in rows]
    dn, gn, rn = (w.declare(v) for v in (d, g, r))
    en = [w.declare(v) for v in extras]
    label = op_label(node)
    code = [f"if (n_{wa}[0] != n_{xa}[1]) {{ char sa[96], sb[96]; GL_FAIL(\"{label}: X has shape "
            f"%s but w has %s\", gl_shape_str(sa, 2, n_{xa}), gl_shape_str(sb, 1, n_{wa})); }}",
            f"if (n_{za}[0] != 1 && n_{za}[0] != n_{xa}[1]) {{ char sa[96], sb[96]; "
            f"GL_FAIL(\"{label}: z has shape %s but X has shape %s\", gl_shape_str(sa, 1, n_{za}), "
            f"gl_shape_str(sb, 2, n_{xa})); }}"]
    for j, a in enumerate(ra):
        code.append(f"if (n_{a}[0] != 1 && n_{a}[0] != n_{xa}[0]) {{ char sa[96], sb[96]; "
                    f"GL_FAIL(\"{label}: row input {j} has shape %s but X has shape %s\", "
                    f"gl_shape_str(sa, 1, n_{a}), gl_shape_str(sb, 2, n_{xa})); }}")
    for name, dim in ((dn, 0), (gn, 0), (rn, 1), *((e, 0) for e in en)):
        code += [f"n_{name}[0] = n_{xa}[{dim}];", size_code(name, 1, label)]
    w.shape_code += code
    for var, name in ((d, dn), (g, gn), (r, rn), *zip(extras, en)):
        alloc(w, var, name)
    # the extra per-row results: e<j> in the body, stored to q<e<j>> (k->qe[j] in a part)
    ecs = [ctype(v.type.dtype) for v in extras]
    extra_outs = [(c, f"e{j}") for j, c in enumerate(ecs)]
    dt = X.type.dtype
    oc, sfx = ctype(dt), "f64" if dt == "float64" else "f32"
    in_dtypes = [dt] + [v.type.dtype for v in rows]
    single = [False] + [v.type.broadcastable[0] for v in rows]
    fn, task, ctx = f"gl_rowmap_{gn}", f"gl_dmg_{gn}", f"gl_dmg_ctx_{gn}"
    checked = fail is not None
    w.statics += loop_helper(fn, in_dtypes, single, oc, body, extra_outs, checked)
    # The part's task: its rows, block by block, into its own accumulator `acc`.
    args, flat = ["nr", "qd + r0"], []
    for v, a in zip(rows, ra):
        cv = ctype(v.type.dtype)
        if v.type.broadcastable[0]:
            args.append(f"*(const {cv} *)p_{a}")
        else:
            args.append(f"(const {cv} *)(p_{a} + r0 * s_{a}[0])")
            flat.append(f"n_{a}[0] == rn && s_{a}[0] == {np.dtype(v.type.dtype).itemsize}")
    loads = [f"const {ctype(v.type.dtype)} x{j + 1} = *(const {ctype(v.type.dtype)} *)(p_{a} + "
             f"i * (n_{a}[0] == 1 ? 0 : s_{a}[0]));" for j, (v, a) in enumerate(zip(rows, ra))]
    fields = [f"const char *p_{a}; int64_t n_{a}[{2 if a == xa else 1}], "
              f"s_{a}[{2 if a == xa else 1}];" for a in (xa, wa, *ra)]
    unpack = [f"const char *p_{a} = k->p_{a}; const int64_t *n_{a} = k->n_{a}, "
              f"*s_{a} = k->s_{a};" for a in (xa, wa, *ra)]
    w.statics += [
        f"struct {ctx} {{ {' '.join(fields)} {oc} *qd, *qg, *acc; "
        f"char *qe[{max(len(en), 1)}]; int64_t nparts;{' int bad;' if checked else ''} }};",
        f"static void {task}(void *c, int64_t part) {{",
        f"const struct {ctx} *k = c;", *unpack,
        f"const int64_t rn = n_{xa}[0], rk = n_{xa}[1], rs0 = s_{xa}[0], rs1 = s_{xa}[1];",
        f"{oc} *qd = k->qd, *qg = k->qg, *acc = k->acc + part * rk;",
        "int64_t lo, hi;  /* on multiples of 4 rows, the row kernels' unit */",
        "gl_part_range(rn, part, k->nparts, 4, &lo, &hi);",
        f"const int flat = {' && '.join(flat) or '1'};",
        *([f"int {ERROR_FLAG} = 0;"] if checked else []),
        "for (int64_t j = 0; j < rk; j++) acc[j] = 0;",
        "for (int64_t r0 = lo; r0 < hi; r0 += GL_ROW_BLOCK) {",
        "const int64_t nr = hi - r0 < GL_ROW_BLOCK ? hi - r0 : GL_ROW_BLOCK;",
        f"const char *xb = p_{xa} + r0 * rs0;",
        f"gl_rows_dot_{sfx}(nr, rk, xb, rs0, rs1, p_{wa}, s_{wa}[0], qd + r0);",
        f"if (flat) {ERROR_FLAG + ' |= ' if checked else ''}{fn}({', '.join(args)}, qg + r0"
        + "".join(f", ({c} *)k->qe[{j}] + r0" for j, c in enumerate(ecs)) + ");",
        "else for (int64_t i = r0; i < r0 + nr; i++) {",
        f"const {oc} x0 = qd[i];",
        *loads, *body,
        "qg[i] = y;",
        *(f"(({c} *)k->qe[{j}])[i] = e{j};" for j, c in enumerate(ecs)),
        "}",
        f"gl_rows_axpy_{sfx}(nr, rk, xb, rs0, rs1, qg + r0, acc);",
        "}",
        *([flag_store(ctx, ERROR_FLAG)] if checked else []),
        "}",
    ]
    w.parallel = True
    setup = [f"k.p_{a} = p_{a}; k.n_{a}[0] = n_{a}[0]; k.s_{a}[0] = s_{a}[0];" for a in (wa, *ra)]
    w.run_code += [
        "{",
        f"struct {ctx} k;",
        f"k.p_{xa} = p_{xa}; memcpy(k.n_{xa}, n_{xa}, sizeof k.n_{xa}); "
        f"memcpy(k.s_{xa}, s_{xa}, sizeof k.s_{xa});",
        *setup,
        f"const int64_t rk = n_{xa}[1];",
        f"k.qd = ({oc} *)p_{dn}; k.qg = ({oc} *)p_{gn};",
        *(f"k.qe[{j}] = p_{e};" for j, e in enumerate(en)),
        f"k.nparts = gl_parts(n_{xa}[0] * rk / 2);",
        *(["k.bad = 0;"] if checked else []),
        f"if (k.nparts > (n_{xa}[0] + GL_ROW_BLOCK - 1) / GL_ROW_BLOCK) "
        f"k.nparts = (n_{xa}[0] + GL_ROW_BLOCK - 1) / GL_ROW_BLOCK;",
        "if (k.nparts < 1) k.nparts = 1;",
        f"if (!(k.acc = gl_take(k.nparts * (rk ? rk : 1) * (int64_t)sizeof({oc})))) {{ status = 2; "
        "snprintf(gl_err, 512, \"out of memory\"); goto done; }",
        f"gl_parallel({task}, &k, k.nparts);",
        f"{oc} *qr = ({oc} *)p_{rn};",
        f"const {oc} al = *(const {oc} *)p_{al}, be = *(const {oc} *)p_{be};",
        f"const int64_t tz = n_{za}[0] == 1 ? 0 : s_{za}[0];",
        f"gl_parts_sum_{sfx}(rk, k.nparts, k.acc);",
        f"for (int64_t j = 0; j < rk; j++) qr[j] = be * *(const {oc} *)(p_{za} + j * tz) "
        "+ al * k.acc[j];",
        "gl_give(k.acc);",
        *([f"if (k.bad) {fail}"] if checked else []),
        "}",
    ]
