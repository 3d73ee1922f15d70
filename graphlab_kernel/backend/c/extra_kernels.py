"""C for Theano's extra ops: cumulative sums and products, sorting, diagonals, broadcastable
flags, repeat, tile, split and nonzero.

Each `emit_*` function adds the shape code (phase 0) and the compute code (phase 1) of one node,
as kernels.py's do.
"""

from __future__ import annotations

from graphlab_kernel.backend.c.kernels import region_checks
from graphlab_kernel.backend.c.writer import (Unsupported, Writer, alloc, ctype, int64_value,
                                              op_label, output_like, size_code, strided_copy)

_SUFFIX = {"bool": "b", "int8": "i8", "int16": "i16", "int32": "i32", "int64": "i64",
           "uint8": "u8", "uint16": "u16", "uint32": "u32", "uint64": "u64", "float32": "f32",
           "float64": "f64"}


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
    a, name = w.names[x], output_like(w, node, out, x)
    axis = op.axis
    oc, xc = ctype(out.type.dtype), ctype(x.type.dtype)
    combine = op.c_combine[op.mode].format(acc="acc", x=f"({oc})*(const {xc} *)(bx + j * sx)")
    heads, tails, offsets = _lanes(w, x, axis, [a, name])
    w.run_code += ["{", f"const int64_t nn = n_{a}[{axis}], sx = s_{a}[{axis}], "
                   f"sy = s_{name}[{axis}];", *heads,
                   f"const char *bx = p_{a} + {offsets[a]}; char *by = p_{name} + {offsets[name]};",
                   f"{oc} acc = {op.c_identity[op.mode]};",
                   f"for (int64_t j = 0; j < nn; j++) {{ acc = ({oc})({combine}); "
                   f"*({oc} *)(by + j * sy) = acc; }}", *tails, "}"]


def _take(w: Writer, slot: str, nbytes: str) -> list[str]:
    """C taking a scratch buffer of `nbytes` (gl_take), given back when the call ends."""
    w.owned.append(slot)
    return [f"if (!({slot} = gl_take({nbytes} + 16))) {{ status = 2; snprintf(gl_err, 512, "
            "\"out of memory\"); goto done; }"]


def _sort_function(w: Writer, dtype: str, indices: bool) -> str:
    """`gl_argsort_<dtype>(v, n, e, tmp)`, with e[0..n) set to the stable order of v[0..n) (NaN
    last), or, for the values alone, `gl_sort_<dtype>(v, n, e, tmp)`, with e = v sorted in place:
    insertion sort of runs of 16, then bottom-up merges through tmp, taking from the right run
    only when strictly smaller. Added to the module once per dtype and kind."""
    c = ctype(dtype)
    fn = f"gl_{'arg' if indices else ''}sort_{_SUFFIX[dtype]}"
    elem, key = ("int64_t", "v[{0}]") if indices else (c, "{0}")
    if dtype.startswith("float"):
        less = "((a) < (b) || ((b) != (b) && (a) == (a)))"
    else:
        less = "((a) < (b))"
    header = f"static void {fn}(const {c} *v, int64_t n, {elem} *e, {elem} *tmp) {{"
    if header in w.statics:
        return fn
    w.statics += [
        header,
        f"#define GL_LESS(a, b) {less}",
        *(["for (int64_t i = 0; i < n; i++) e[i] = i;"] if indices else []),
        "for (int64_t lo = 0; lo < n; lo += 16) {",
        "const int64_t hi = lo + 16 < n ? lo + 16 : n;",
        f"for (int64_t i = lo + 1; i < hi; i++) {{ const {elem} t = e[i]; int64_t j = i;",
        f"while (j > lo && GL_LESS({key.format('t')}, {key.format('e[j - 1]')})) "
        "{ e[j] = e[j - 1]; j--; }",
        "e[j] = t; } }",
        f"{elem} *a = e, *b = tmp;",
        "for (int64_t width = 16; width < n; width *= 2) {",
        "for (int64_t lo = 0; lo < n; lo += 2 * width) {",
        "const int64_t mid = lo + width < n ? lo + width : n, "
        "hi = lo + 2 * width < n ? lo + 2 * width : n;",
        "int64_t i = lo, j = mid, k = lo;",
        f"while (i < mid && j < hi) b[k++] = GL_LESS({key.format('a[j]')}, {key.format('a[i]')})"
        " ? a[j++] : a[i++];",
        "while (i < mid) b[k++] = a[i++];",
        "while (j < hi) b[k++] = a[j++]; }",
        f"{elem} *t = a; a = b; b = t; }}",
        f"if (a != e) memcpy(e, a, (size_t)n * sizeof({elem}));",
        "#undef GL_LESS",
        "}"]
    return fn


def emit_sort(w: Writer, node, indices: bool) -> None:
    """sort / argsort along an axis: each lane copied into a contiguous scratch run, sorted (its
    values, or its stable order), then written out."""
    op, (x,), (out,) = node.op, node.inputs, node.outputs
    a, name = w.names[x], output_like(w, node, out, x)
    axis = op.axis
    xc, oc = ctype(x.type.dtype), ctype(out.type.dtype)
    fn = _sort_function(w, x.type.dtype, indices)
    slot = f"buf_sort_{name}"
    heads, tails, offsets = _lanes(w, x, axis, [a, name])
    if indices:
        scratch = [*_take(w, slot, f"nn * (int64_t)(2 * sizeof(int64_t) + sizeof({xc}))"),
                   f"int64_t *e = (int64_t *){slot}, *tmp = e + nn; {xc} *v = ({xc} *)(tmp + nn);"]
    else:
        scratch = [*_take(w, slot, f"nn * (int64_t)(2 * sizeof({xc}))"),
                   f"{xc} *v = ({xc} *){slot}, *e = v, *tmp = v + nn;"]
    w.run_code += [f"if (size_{name} > 0) {{",
                   f"const int64_t nn = n_{a}[{axis}], sx = s_{a}[{axis}], sy = s_{name}[{axis}];",
                   *scratch, *heads,
                   f"const char *bx = p_{a} + {offsets[a]}; char *by = p_{name} + {offsets[name]};",
                   f"for (int64_t j = 0; j < nn; j++) v[j] = *(const {xc} *)(bx + j * sx);",
                   f"{fn}(v, nn, e, tmp);",
                   f"for (int64_t j = 0; j < nn; j++) *({oc} *)(by + j * sy) = e[j];",
                   *tails, "}"]


def emit_permute(w: Writer, node) -> None:
    """out[j] = x[p[j]] (or out[p[j]] = x[j], inverse) in each lane along the axis, after checking
    that the lane of p is a permutation of 0 .. n-1 (a ValueError otherwise, as in NumPy's)."""
    op, (x, p), (out,) = node.op, node.inputs, node.outputs
    name = output_like(w, node, out, x, equal=(("x", x), ("the permutation", p)))
    a, b, label = w.names[x], w.names[p], op_label(node)
    r, axis = x.type.ndim, op.axis
    c = ctype(x.type.dtype)
    slot = f"buf_seen_{name}"
    heads, tails, offsets = _lanes(w, x, axis, [a, b, name])
    src, dst = ("j", "k") if op.inverse else ("k", "j")
    w.run_code += [f"if (size_{name} > 0) {{",
                   f"const int64_t nn = n_{a}[{axis}], sx = s_{a}[{axis}], sp = s_{b}[{axis}], "
                   f"sy = s_{name}[{axis}];",
                   *_take(w, slot, "nn"), f"char *seen = {slot};", *heads,
                   f"const char *bx = p_{a} + {offsets[a]}, *bp = p_{b} + {offsets[b]}; "
                   f"char *by = p_{name} + {offsets[name]};",
                   "memset(seen, 0, (size_t)nn);",
                   "for (int64_t j = 0; j < nn; j++) {",
                   "const int64_t k = *(const int64_t *)(bp + j * sp);",
                   "if (k < 0 || k >= nn || seen[k]) { char sb[96]; GL_FAIL(\""
                   f"{label}: some lane of the indices (shape %s) is not a permutation of 0 .. "
                   f"%lld\", gl_shape_str(sb, {r}, n_{b}), (long long)(nn - 1)); }}",
                   f"seen[k] = 1; *({c} *)(by + {dst} * sy) = *(const {c} *)(bx + {src} * sx); }}",
                   *tails, "}"]


def _diagonal_view(op, src: str, dst: str, r: int) -> list[str]:
    """C setting p_<dst>, n_<dst>, s_<dst> to the diagonal `op.offset` of the plane (axis1,
    axis2) of the r-d array <src>: its other axes, then the diagonal, of stride s1 + s2. The
    offset is clamped to +-2**62, which changes no length (lengths are below 2**63)."""
    a1, a2 = op.axis1, op.axis2
    others = [d for d in range(r) if d not in (a1, a2)]
    k = max(-2**62, min(2**62, op.offset))
    code = [f"{{ const int64_t k = {k}LL, n1 = n_{src}[{a1}], n2 = n_{src}[{a2}];",
            "int64_t len = k >= 0 ? (n2 - k < n1 ? n2 - k : n1) : (n1 + k < n2 ? n1 + k : n2);",
            "if (len < 0) len = 0;"]
    code += [f"n_{dst}[{i}] = n_{src}[{d}]; s_{dst}[{i}] = s_{src}[{d}];"
             for i, d in enumerate(others)]
    code += [f"n_{dst}[{r - 2}] = len; s_{dst}[{r - 2}] = s_{src}[{a1}] + s_{src}[{a2}];",
             f"p_{dst} = p_{src} + (len > 0 ? (k >= 0 ? k * s_{src}[{a2}] : -k * s_{src}[{a1}]) "
             ": 0); }"]
    return code


def emit_extract_diag(w: Writer, node) -> None:
    """diagonal(x): a view (new shape, strides and data offset), as numpy.diagonal."""
    op, (x,), (out,) = node.op, node.inputs, node.outputs
    a, name = w.names[x], w.declare(out)
    code = _diagonal_view(op, a, name, x.type.ndim)
    code.append(size_code(name, out.type.ndim, op_label(node)))
    w.shape_code += code
    w.run_code += code  # intermediates' strides and pointers are known only at run time
    w.root[out] = w.root[x]


def emit_inc_diagonal(w: Writer, node) -> None:
    """A copy of x, then y written (or added) along the view of its diagonal; y broadcasts where
    its type allows an axis of length 1 (a region's rule, as in inc_subtensor)."""
    op, (x, y), (out,) = node.op, node.inputs, node.outputs
    a, b, name, label = w.names[x], w.names[y], w.declare(out), op_label(node)
    r, ry = x.type.ndim, y.type.ndim
    region = f"dg_{name}"
    decl = f"char *p_{region} = 0; int64_t n_{region}[{r - 1}], s_{region}[{r - 1}];"
    checks = [f"n_{b}[{d}] != n_{region}[{r - 1 - ry + d}]" if not y.type.broadcastable[d] else
              f"(n_{b}[{d}] != 1 && n_{b}[{d}] != n_{region}[{r - 1 - ry + d}])" for d in range(ry)]
    code = [f"n_{name}[{d}] = n_{a}[{d}];" for d in range(r)]
    code += ["{", decl, *_diagonal_view(op, a, region, r)]
    code += region_checks(label, checks, (ry, b), (r - 1, region), (r, a))
    code += ["}", size_code(name, r, label)]
    w.shape_code += code
    alloc(w, out, name)
    oc, yc = ctype(out.type.dtype), ctype(y.type.dtype)
    ys = ", ".join(["0"] * (r - 1 - ry) + [f"n_{b}[{d}] == 1 ? 0 : s_{b}[{d}]" for d in range(ry)])
    run = strided_copy(f"p_{name}", f"s_{name}", f"p_{a}", f"s_{a}", f"n_{name}", r, oc, oc)
    run += ["{", decl, *_diagonal_view(op, name, region, r), f"int64_t ys[{r - 1}] = {{{ys}}};"]
    run += strided_copy(f"p_{region}", f"s_{region}", f"p_{b}", "ys", f"n_{region}", r - 1, oc, yc,
                        "=" if op.set_instead_of_inc else "+=")
    run.append("}")
    w.run_code += run


def emit_rebroadcast(w: Writer, node) -> None:
    """addbroadcast / unbroadcast: x itself, after checking that each axis made broadcastable
    has length 1 (a ValueError naming the axis and the shape, as the NumPy perform's)."""
    op, (x,), (out,) = node.op, node.inputs, node.outputs
    a, name, label = w.names[x], w.declare(out), op_label(node)
    r = x.type.ndim
    shown = str(x).replace("\\", "/").replace('"', "'").replace("%", "%%")
    for axis, flag in op.axes:
        if flag:
            w.shape_code.append(f"if (n_{a}[{axis}] != 1) {{ char sb[96]; GL_FAIL(\"{label}: axis "
                                f"{axis} of {shown} must have length 1 to be broadcastable; got "
                                f"shape %s\", gl_shape_str(sb, {r}, n_{a})); }}")
    code = [f"p_{name} = p_{a}; size_{name} = size_{a};"]
    code += [f"n_{name}[{d}] = n_{a}[{d}]; s_{name}[{d}] = s_{a}[{d}];" for d in range(r)]
    w.shape_code += code
    w.run_code += code
    w.root[out] = w.root[x]


def _counts_known(w: Writer, node, var, what: str) -> str:
    """The C name of `var`, counts that set the result's shape: they must be known with the
    shapes (constants, function inputs, or values codegen computes with the shape code)."""
    if var not in w.known:
        raise Unsupported(f"{node.op} with {what} computed from array values: the length of its "
                          "result depends on them")
    return w.names[var]


def _too_long(label: str, axis: int) -> str:
    """The message of a result longer than an int64 counts along `axis` (as the perform's)."""
    return f"{label}: the result would have more than 2**63 - 1 elements along axis {axis}"


def _tuple_format(n: int) -> str:
    """A printf format showing n int64 values as a Python tuple: (%lld, %lld) or (%lld,)."""
    return "(" + ", ".join(["%lld"] * n) + ("," if n == 1 else "") + ")"


def emit_repeat(w: Writer, node) -> None:
    """repeat(x, repeats, axis): each sub-array x[..., i, ...] copied repeats[i] times (or
    `repeats` times, a scalar) in a row, for each index of the axes before `axis`."""
    op, (x, reps), (out,) = node.op, node.inputs, node.outputs
    c = _counts_known(w, node, reps, "counts")
    a, name, label = w.names[x], w.declare(out), op_label(node)
    r, axis, vector = x.type.ndim, op.axis, reps.type.ndim == 1

    def count(i: str) -> str:
        at = f"p_{c} + ({i}) * s_{c}[0]" if vector else f"p_{c}"
        return int64_value(at, reps.type.dtype)

    code = [f"{{ const int64_t n = n_{a}[{axis}]; int64_t total = 0;"]
    if vector:
        code += [f"if (n_{c}[0] != 1 && n_{c}[0] != n) {{ char sb[96]; GL_FAIL(\"{label}: repeats "
                 f"has length %lld but axis {axis} of x has length %lld (input shape %s); give "
                 f"one count per element, or a single one\", (long long)n_{c}[0], (long long)n, "
                 f"gl_shape_str(sb, {r}, n_{a})); }}",
                 f"for (int64_t t = 0; t < n_{c}[0]; t++) if ({count('t')} < 0) GL_FAIL(\""
                 f"{label}: negative count in repeats\");",
                 f"if (n_{c}[0] == 1) {{ if (gl_mul_size(n, {count('0')}, &total)) total = -1; }}",
                 f"else for (int64_t t = 0; t < n; t++) {{ const int64_t v = {count('t')}; "
                 "total = total > INT64_MAX - v ? -1 : total + v; if (total < 0) break; }"]
    else:
        code += [f"if ({count('0')} < 0) GL_FAIL(\"{label}: negative count in repeats\");",
                 f"if (gl_mul_size(n, {count('0')}, &total)) total = -1;"]
    code.append(f"if (total < 0) GL_FAIL(\"{_too_long(label, axis)}\");")
    code += [f"n_{name}[{d}] = n_{a}[{d}];" for d in range(r)]
    code += [f"n_{name}[{axis}] = total; }}", size_code(name, r, label)]
    w.shape_code += code
    alloc(w, out, name)
    oc = ctype(out.type.dtype)
    heads, tails = ([f"for (int64_t i{d} = 0; i{d} < n_{a}[{d}]; i{d}++) {{" for d in range(axis)],
                    ["}"] * axis)
    off_x = " + ".join([f"i{d} * s_{a}[{d}]" for d in range(axis)] or ["0"])
    off_y = " + ".join([f"i{d} * s_{name}[{d}]" for d in range(axis)] or ["0"])
    index = f"(n_{c}[0] == 1 ? 0 : i)" if vector else "0"
    inner = r - axis - 1
    head = [f"if (size_{name} > 0) {{",
            f"const int64_t nn = n_{a}[{axis}], sx = s_{a}[{axis}], sy = s_{name}[{axis}];",
            *heads, f"const char *bx = p_{a} + {off_x}; char *by = p_{name} + {off_y};"]
    if inner == 0:  # single elements: a loop of its own (gl_run's is compiled as cold code)
        fn = f"gl_repeat_{name}"
        w.statics += [f"static __attribute__((noinline)) void {fn}(const char *bx, int64_t sx, "
                      f"int64_t nn, char *by, int64_t sy, const char *pc, int64_t sc) {{",
                      f"const int64_t same = {int64_value('pc', reps.type.dtype)};",
                      "for (int64_t i = 0; i < nn; i++) {",
                      f"const {oc} v = *(const {oc} *)(bx + i * sx);",
                      f"const int64_t times = sc ? {int64_value('pc + i * sc', reps.type.dtype)}"
                      " : same;",
                      f"for (int64_t t = 0; t < times; t++) {{ *({oc} *)by = v; by += sy; }} }}",
                      "}"]
        step = f"(n_{c}[0] == 1 ? 0 : s_{c}[0])" if vector else "0"
        w.run_code += [*head, f"{fn}(bx, sx, nn, by, sy, p_{c}, {step});", *tails, "}"]
        return
    copy = strided_copy("by", f"(s_{name} + {axis + 1})", "bx + i * sx", f"(s_{a} + {axis + 1})",
                        f"(n_{a} + {axis + 1})", inner, oc, oc)
    w.run_code += [*head, "for (int64_t i = 0; i < nn; i++) {",
                   f"const int64_t times = {count(index)};",
                   "for (int64_t t = 0; t < times; t++) {", *copy, "by += sy; } }", *tails, "}"]


def emit_tile(w: Writer, node) -> None:
    """tile(x, reps): each output element read from x at its index modulo x's lengths (x's shape
    padded with ones in front), after checking reps's length and signs."""
    op, (x, reps), (out,) = node.op, node.inputs, node.outputs
    c = _counts_known(w, node, reps, "reps")
    a, name, label = w.names[x], w.declare(out), op_label(node)
    r, pad = op.ndim, op.ndim - x.type.ndim
    values = ", ".join(f"(long long)rp[{d}]" for d in range(r))
    lengths = [("1" if d < pad else f"n_{a}[{d - pad}]") for d in range(r)]
    w.decls.append(f"int64_t rp_{name}[{max(r, 1)}];")
    code = [f"{{ int64_t *rp = rp_{name}; if (n_{c}[0] != {r}) GL_FAIL(\"{label}: reps has %lld "
            f"lengths; expected {r}, one per axis of the result\", (long long)n_{c}[0]);"]
    code += [f"rp[{d}] = {int64_value(f'p_{c} + {d} * s_{c}[0]', reps.type.dtype)};"
             for d in range(r)]
    code.append(f"for (int d = 0; d < {r}; d++) if (rp[d] < 0) GL_FAIL(\"{label}: negative count "
                f"in reps {_tuple_format(r)}\", {values});")
    code += [f"if (gl_mul_size({lengths[d]}, rp[{d}], &n_{name}[{d}])) GL_FAIL(\""
             f"{_too_long(label, d)}\");" for d in range(r)]
    code += ["}", size_code(name, r, label)]
    w.shape_code += code
    alloc(w, out, name)
    oc = ctype(out.type.dtype)
    run = [f"if (size_{name} > 0) {{", f"{oc} *qy = ({oc} *)p_{name};",
           f"const char *bt = p_{a};"]
    if r == 0:
        w.run_code += [*run, f"*qy = *(const {oc} *)bt;", "}"]
        return
    # the outer axes by index modulo x's lengths; the last one, a row of x repeated, by a loop
    # of its own (gl_run's is compiled as cold code)
    fn, last = f"gl_tile_{name}", r - 1
    w.statics += [f"static __attribute__((noinline)) {oc} *{fn}(const char *b, int64_t n, "
                  f"int64_t s, int64_t times, {oc} *qy) {{",
                  "for (int64_t t = 0; t < times; t++) for (int64_t j = 0; j < n; j++) "
                  f"*qy++ = *(const {oc} *)(b + j * s);",
                  "return qy;", "}"]
    bases = ["bt"] + [f"b{d}" for d in range(r)]
    for d in range(last):
        step = f" + (i{d} % {lengths[d]}) * s_{a}[{d - pad}]" if d >= pad else ""
        run.append(f"for (int64_t i{d} = 0; i{d} < n_{name}[{d}]; i{d}++) {{ "
                   f"const char *{bases[d + 1]} = {bases[d]}{step};")
    stride = f"s_{a}[{last - pad}]" if last >= pad else "0"
    run.append(f"qy = {fn}({bases[last]}, {lengths[last]}, {stride}, rp_{name}[{last}], qy);")
    run += ["}"] * last + ["}"]
    w.run_code += run


def emit_split(w: Writer, node) -> None:
    """split(x, sizes, n, axis): n views of x, each starting where the previous one ends."""
    op, (x, sizes), outs = node.op, node.inputs, node.outputs
    c = _counts_known(w, node, sizes, "splits_size")
    a, label = w.names[x], op_label(node)
    r, axis, n = x.type.ndim, op.axis, op.n_splits
    names = [w.declare(o) for o in outs]
    cut = f"cut_{names[0]}"
    w.decls.append(f"int64_t {cut}[{n + 1}];")
    given = [int64_value(f"p_{c} + {k} * s_{c}[0]", sizes.type.dtype) for k in range(n)]
    values = ", ".join(f"(long long){v}" for v in given)  # as given, not as cut
    code = [f"if (n_{c}[0] != {n}) GL_FAIL(\"{label}: splits_size has %lld lengths; expected "
            f"{n}\", (long long)n_{c}[0]);",
            f"{{ int bad = 0; {cut}[0] = 0;"]
    for k, size in enumerate(given):
        code.append(f"{{ const int64_t v = {size}; if (v < 0 || v > INT64_MAX - {cut}[{k}]) "
                    f"bad = 1; {cut}[{k + 1}] = bad ? {cut}[{k}] : {cut}[{k}] + v; }}")
    code.append(f"if (bad || {cut}[{n}] != n_{a}[{axis}]) {{ char sb[96]; GL_FAIL(\"{label}: the "
                f"lengths {_tuple_format(n)} must be at least 0 and add up to %lld, the length of "
                f"axis {axis} of x (shape %s)\", {values}, (long long)n_{a}[{axis}], "
                f"gl_shape_str(sb, {r}, n_{a})); }} }}")
    views = []
    for k, name in enumerate(names):
        views += [f"n_{name}[{d}] = n_{a}[{d}]; s_{name}[{d}] = s_{a}[{d}];" for d in range(r)]
        views.append(f"n_{name}[{axis}] = {cut}[{k + 1}] - {cut}[{k}];")
    w.shape_code += code + views + [size_code(name, r, label) for name in names]
    w.run_code += views + [f"p_{name} = p_{a} + {cut}[{k}] * s_{a}[{axis}];"
                           for k, name in enumerate(names)]
    for o in outs:
        w.root[o] = w.root[x]


def _every_element(a: str, r: int, body: list[str]) -> list[str]:
    """C running `body` for each element of the r-d array <a> in C order, with `at` pointing to
    it and i0 .. i<r-1> its indices."""
    code = [f"if (size_{a} > 0) {{ const char *c0 = p_{a};"]
    for d in range(r):
        code.append(f"for (int64_t i{d} = 0; i{d} < n_{a}[{d}]; i{d}++) {{ "
                    f"const char *c{d + 1} = c{d} + i{d} * s_{a}[{d}];")
    return code + [f"const char *at = c{r};", *body] + ["}"] * r + ["}"]


def emit_nonzero(w: Writer, node) -> None:
    """nonzero / flatnonzero: the elements counted with the shapes (so x's values must be known
    then: a function input, a constant, or computed with the shape code, as codegen.render does
    for a value nonzero reads), then their indices written in C order."""
    op, (x,), (out,) = node.op, node.inputs, node.outputs
    if x not in w.known:
        raise Unsupported(f"{op} of a value computed in the graph: how many elements it finds "
                          "is known only once that value is computed, and C computes every shape "
                          "first")
    a, name, r = w.names[x], w.declare(out), x.type.ndim
    test = f"*(const {ctype(x.type.dtype)} *)at != 0"
    shape = [f"n_{name}[0] = count;"] if op.flat else [f"n_{name}[0] = {r}; n_{name}[1] = count;"]
    w.shape_code += (["{ int64_t count = 0;"] + _every_element(a, r, [f"if ({test}) count++;"])
                     + shape + ["}", size_code(name, out.type.ndim, op_label(node))])
    alloc(w, out, name)
    if op.flat:
        store = ["q[j++] = k;"]
    else:
        store = [f"q[{d} * n_{name}[1] + j] = i{d};" for d in range(r)] + ["j++;"]
    w.run_code += (["{ int64_t *q = (int64_t *)p_" + name + ", j = 0, k = 0;"]
                   + _every_element(a, r, [f"if ({test}) {{", *store, "}", "k++;"]) + ["}"])


def _emitters() -> dict:
    """The ops these kernels render, for codegen's table (looked up along the op's class MRO)."""
    from graphlab_kernel.tensor.extra_ops import CumOp, Repeat, Split, Tile
    from graphlab_kernel.tensor.broadcasting import Rebroadcast
    from graphlab_kernel.tensor.diagonal import ExtractDiag, IncDiagonal
    from graphlab_kernel.tensor.nonzero import NonZero
    from graphlab_kernel.tensor.sort import ArgSort, Permute, Sort
    return {CumOp: emit_cumulative, Sort: lambda w, node: emit_sort(w, node, indices=False),
            ArgSort: lambda w, node: emit_sort(w, node, indices=True), Permute: emit_permute,
            ExtractDiag: emit_extract_diag, IncDiagonal: emit_inc_diagonal,
            Rebroadcast: emit_rebroadcast, Repeat: emit_repeat, Tile: emit_tile,
            Split: emit_split, NonZero: emit_nonzero}


EXTRA_EMITTERS = _emitters()
