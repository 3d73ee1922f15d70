"""C for RandomDraw: Philox4x32-10 and the distributions of tensor/philox.py, bit for bit (normal
values: to libm's precision; glibc's libmvec, which the vectorized loops call, is within 4 ulp
for log, cos and sin, and NumPy's own functions differ from it by at most 8 ulp in all).

The draw's elements are cut into parts on multiples of 16 (gl_part_range), run on the thread
pool; element i's value depends only on the state and i (see tensor/philox.py), so the values
are the same whatever the number of threads. A draw with parameters (p; low and high) walks the
output in C order with an odometer over the parameters' broadcast strides; an element whose
parameters are out of range stops its part, which records its index, and the call then fails
naming the first such element (parts cover increasing ranges: the smallest index recorded is
the first in C order).
"""

from __future__ import annotations

from graphlab_kernel.backend.c.writer import (Unsupported, Writer, alloc, ctype, int64_value,
                                              op_label, size_code)
from graphlab_kernel.tensor import philox
from graphlab_kernel.tensor.random import PARAMETERS

# Philox4x32-10 of the counter (block, draws) under the key, as two 64-bit words; and the
# uniform double in [0, 1) of a word's top 53 bits. The constants are tensor/philox.py's.
PHILOX_C = f"""
static inline void gl_philox(uint64_t key, uint64_t draws, uint64_t block, uint64_t *w0,
                             uint64_t *w1) {{
    uint32_t c0 = (uint32_t)block, c1 = (uint32_t)(block >> 32);
    uint32_t c2 = (uint32_t)draws, c3 = (uint32_t)(draws >> 32);
    uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
    _Pragma("GCC unroll {philox.ROUNDS}")  /* unrolled, the loop over blocks vectorizes */
    for (int r = 0; r < {philox.ROUNDS}; r++) {{
        const uint64_t p0 = (uint64_t){int(philox.MULTIPLIERS[0]):#x}u * c0;
        const uint64_t p1 = (uint64_t){int(philox.MULTIPLIERS[1]):#x}u * c2;
        const uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint32_t)p1; c3 = (uint32_t)p0; c0 = n0; c2 = n2;
        k0 += {philox.WEYL[0]:#x}u; k1 += {philox.WEYL[1]:#x}u;
    }}
    *w0 = c0 | (uint64_t)c1 << 32; *w1 = c2 | (uint64_t)c3 << 32;
}}
/* the words of blocks first .. first + n - 1, in a loop gcc vectorizes */
static void gl_philox_blocks(uint64_t key, uint64_t draws, uint64_t first, int64_t n,
                             uint64_t *restrict w0, uint64_t *restrict w1) {{
    for (int64_t j = 0; j < n; j++) gl_philox(key, draws, first + (uint64_t)j, &w0[j], &w1[j]);
}}
static inline double gl_unit(uint64_t w) {{ return (double)(w >> 11) * 0x1p-53; }}
static inline float gl_unit_f(uint64_t w) {{ return (float)(w >> 40) * 0x1p-24f; }}
"""

WORK_PER_ELEMENT = 32  # about the operations per element of a draw, for gl_parts
CHUNK = 256  # blocks whose words are computed at once, then converted


def emit_random_draw(w: Writer, node) -> None:
    """A RandomDraw: its shape from the lengths (known in phase 0, as alloc's), then the values."""
    op, (out,) = node.op, node.outputs
    n_params = len(PARAMETERS[op.kind])
    state, params, lengths = node.inputs[0], node.inputs[1:1 + n_params], \
        node.inputs[1 + n_params:]
    for s in lengths:
        if s not in w.known:
            raise Unsupported(f"{op} with a length computed from array values")
    if PHILOX_C not in w.statics:
        w.statics.append(PHILOX_C)
    st, name, label, r = w.names[state], w.declare(out), op_label(node), out.type.ndim
    code = ["{ char sa[96], sb[96];"]
    code += [f"n_{name}[{d}] = {int64_value(f'p_{w.names[s]}', s.type.dtype)};"
             for d, s in enumerate(lengths)]
    code.append(f"for (int d = 0; d < {r}; d++) if (n_{name}[d] < 0) GL_FAIL(\"{label}: negative "
                f"length in the size %s\", gl_shape_str(sb, {r}, n_{name}));")
    code.append(f"if (n_{st}[0] != 2) GL_FAIL(\"{label}: the random state must hold 2 values "
                f"(key, draws); got shape %s\", gl_shape_str(sa, 1, n_{st}));")
    for pname, v in zip(PARAMETERS[op.kind], params):
        a = w.names[v]
        bad = " || ".join(f"(n_{a}[{d}] != 1 && n_{a}[{d}] != n_{name}[{d}])" for d in range(r))
        if bad:
            code.append(f"if ({bad}) GL_FAIL(\"{label}: {pname} of shape %s does not broadcast "
                        f"to the size %s\", gl_shape_str(sa, {r}, n_{a}), gl_shape_str(sb, {r}, "
                        f"n_{name}));")
    code += ["}", size_code(name, r, label),
             f"if (size_{name} > {philox.MAX_ELEMENTS}LL) {{ char sb[96]; GL_FAIL(\"{label}: a "
             f"draw of shape %s is too big (at most 2**57 values)\", gl_shape_str(sb, {r}, "
             f"n_{name})); }}"]
    w.shape_code += code
    alloc(w, out, name)
    w.statics += _task(name, op, params, r)
    setup = [f"k.p[{j}] = p_{w.names[v]};" for j, v in enumerate(params)]
    setup += [f"k.t[{j}][{d}] = n_{w.names[v]}[{d}] == 1 ? 0 : s_{w.names[v]}[{d}];"
              for j, v in enumerate(params) for d in range(r)]
    w.run_code += [
        "{", f"struct gl_rd_{name} k;",
        f"k.key = *(const uint64_t *)p_{st}; k.draws = *(const uint64_t *)(p_{st} + s_{st}[0]);",
        f"k.y = p_{name}; k.n = size_{name}; k.nparts = gl_parts(size_{name} * "
        f"{WORK_PER_ELEMENT});",
        *[f"k.shape[{d}] = n_{name}[{d}];" for d in range(r)], *setup,
        "for (int q = 0; q < GL_MAX_PARTS; q++) k.bad[q] = -1;",
        f"if (size_{name} > 0) gl_parallel(gl_rd_task_{name}, &k, k.nparts);",
    ]
    if params:
        w.run_code += _failure(name, op, params, r, label)
    w.run_code.append("}")
    w.parallel = True


def _task(name: str, op, params, r: int) -> list[str]:
    """The context struct and the part's task of one draw."""
    oc = ctype(op.dtype)
    nparams, dims = max(len(params), 1), max(r, 1)
    head = [f"struct gl_rd_{name} {{ uint64_t key, draws; char *y; int64_t n, nparts; "
            f"const char *p[{nparams}]; int64_t t[{nparams}][{dims}], shape[{dims}], "
            "bad[GL_MAX_PARTS]; };",
            f"static void gl_rd_task_{name}(void *c, int64_t part) {{",
            f"struct gl_rd_{name} *k = c;",
            "int64_t lo, hi;",
            "gl_part_range(k->n, part, k->nparts, 16, &lo, &hi);  /* lo is even */",
            f"{oc} *y = ({oc} *)k->y;",
            "const uint64_t key = k->key, draws = k->draws;"]
    if op.kind in ("uniform", "normal"):
        return head + _block_loop(op) + ["}"]
    return head + _parameter_loop(op, params, r) + ["}"]


def _block_loop(op) -> list[str]:
    """Uniform and normal values, CHUNK blocks (two elements each) at a time: their words, then
    their values, in loops gcc vectorizes (Box-Muller's log, cos and sin by libmvec when
    present: cos and sin in separate loops, which gcc would otherwise fuse into a scalar
    sincos). The value loops always run over the whole chunk (the words past the draw's last
    block are left over, or zero), so that no value comes from a loop's scalar remainder: libm's
    scalar and vector functions may differ by an ulp, and a value would then depend on where the
    draw ends. A part ends on an even index, but the last part, whose odd end drops a value."""
    oc = ctype(op.dtype)
    if op.kind == "uniform":
        unit = "gl_unit_f" if op.dtype == "float32" else "gl_unit"
        values = [f"for (int64_t j = 0; j < {CHUNK}; j++) {{",
                  f"ya[j] = {unit}(wa[j]); yb[j] = {unit}(wb[j]);", "}"]
    else:  # in double precision whatever the output's
        values = [f"for (int64_t j = 0; j < {CHUNK}; j++) {{",
                  "ra[j] = sqrt(-2.0 * log(((double)(wa[j] >> 11) + 1.0) * 0x1p-53));",
                  f"ta[j] = {philox.TWO_PI.hex()} * gl_unit(wb[j]);", "}",
                  f"for (int64_t j = 0; j < {CHUNK}; j++) ya[j] = ({oc})(ra[j] * cos(ta[j]));",
                  f"for (int64_t j = 0; j < {CHUNK}; j++) yb[j] = ({oc})(ra[j] * sin(ta[j]));"]
    return [f"uint64_t wa[{CHUNK}] = {{0}}, wb[{CHUNK}] = {{0}};",
            f"{oc} ya[{CHUNK}], yb[{CHUNK}];",
            *([f"double ra[{CHUNK}], ta[{CHUNK}];"] if op.kind == "normal" else []),
            f"for (int64_t b0 = lo >> 1, bend = (hi + 1) >> 1; b0 < bend; b0 += {CHUNK}) {{",
            f"const int64_t nb = bend - b0 < {CHUNK} ? bend - b0 : {CHUNK};",
            "gl_philox_blocks(key, draws, (uint64_t)b0, nb, wa, wb);",
            *values,
            f"{oc} *out = y + 2 * b0;",
            "const int64_t pairs = 2 * (b0 + nb) > hi ? nb - 1 : nb;",
            "for (int64_t j = 0; j < pairs; j++) { out[2 * j] = ya[j]; out[2 * j + 1] = yb[j]; }",
            "if (pairs < nb) out[2 * pairs] = ya[pairs];",
            "}"]


def _parameter_loop(op, params, r: int) -> list[str]:
    """Bernoulli and integer values: the words of CHUNK blocks at a time, then element by
    element, reading the parameters through an odometer (started at the part's first element)."""
    oc = ctype(op.dtype)
    reads = [f"const char *q{j} = k->p[{j}];" for j in range(len(params))]
    start = ["int64_t idx[GL_RD_DIMS], rest = lo;".replace("GL_RD_DIMS", str(max(r, 1))),
             f"for (int d = {r - 1}; d >= 0; d--) {{ idx[d] = rest % k->shape[d]; "
             "rest /= k->shape[d];" + "".join(f" q{j} += idx[d] * k->t[{j}][d];"
                                              for j in range(len(params))) + " }"]
    step = [f"for (int d = {r - 1}; d >= 0; d--) {{" + "".join(
                f" q{j} += k->t[{j}][d];" for j in range(len(params)))
            + " if (++idx[d] < k->shape[d]) break;"
            + "".join(f" q{j} -= k->t[{j}][d] * k->shape[d];" for j in range(len(params)))
            + " idx[d] = 0; }"]
    if op.kind == "bernoulli":
        pc = ctype(params[0].type.dtype)
        body = [f"const double p = (double)*(const {pc} *)q0;",
                "if (!(p >= 0 && p <= 1)) { k->bad[part] = i; return; }",
                f"y[i] = ({oc})(gl_unit(x) < p);"]
    else:  # Lemire's multiply-and-reject; a span of 0 stands for all 2**64 values
        body = ["const int64_t a = *(const int64_t *)q0, b = *(const int64_t *)q1;",
                "if (b < a) { k->bad[part] = i; return; }",
                "const uint64_t span = (uint64_t)b - (uint64_t)a + 1;",
                "uint64_t v = x;",
                "if (span) {",
                "unsigned __int128 m = (unsigned __int128)x * span;",
                "if ((uint64_t)m < span) {",
                "const uint64_t threshold = (0 - span) % span;",
                f"for (uint64_t attempt = 1; (uint64_t)m < threshold && attempt < "
                f"{philox.MAX_ATTEMPTS}; attempt++) {{",
                "uint64_t z[2];",
                f"gl_philox(key, draws, attempt << {philox.ATTEMPT_SHIFT} | (uint64_t)i >> 1, "
                "&z[0], &z[1]);",
                "m = (unsigned __int128)z[i & 1] * span;",
                "}", "}",
                "v = (uint64_t)(m >> 64);",
                "}",
                "y[i] = (int64_t)((uint64_t)a + v);"]
    return [*reads, *start, f"uint64_t wa[{CHUNK}], wb[{CHUNK}];",
            f"for (int64_t b0 = lo >> 1, bend = (hi + 1) >> 1; b0 < bend; b0 += {CHUNK}) {{",
            f"const int64_t nb = bend - b0 < {CHUNK} ? bend - b0 : {CHUNK};",
            "gl_philox_blocks(key, draws, (uint64_t)b0, nb, wa, wb);",
            "const int64_t end = 2 * (b0 + nb) < hi ? 2 * (b0 + nb) : hi;",
            "for (int64_t i = 2 * b0; i < end; i++) {",
            "const uint64_t x = (i & 1) ? wb[(i >> 1) - b0] : wa[(i >> 1) - b0];",
            *body, *step, "}", "}"]


def _failure(name: str, op, params, r: int, label: str) -> list[str]:
    """C failing the call when a part stopped at an element out of range: the first one, with
    its parameters' values and index, as RandomDraw.perform says it."""
    where = f"gl_shape_str(sb, {r}, idx)" if r else "\"\""
    at = "at index %s" if r else "in a scalar draw%s"
    reads = []
    for j, v in enumerate(params):
        offset = " + ".join([f"idx[{d}] * k.t[{j}][{d}]" for d in range(r)] or ["0"])
        reads.append(f"const char *q{j} = k.p[{j}] + {offset};")
    if op.kind == "bernoulli":
        pc = ctype(params[0].type.dtype)
        message = (f"GL_FAIL(\"{label}: p must be in [0, 1]; got p = %.17g {at}\", "
                   f"(double)*(const {pc} *)q0, {where});")
    else:
        message = (f"GL_FAIL(\"{label}: high must not be below low; got low = %lld, high = %lld "
                   f"{at}\", (long long)*(const int64_t *)q0, (long long)*(const int64_t *)q1, "
                   f"{where});")
    return ["int64_t first = -1;",
            "for (int q = 0; q < k.nparts; q++) if (k.bad[q] >= 0 && (first < 0 || k.bad[q] < "
            "first)) first = k.bad[q];",
            "if (first >= 0) {",
            f"char sb[96]; int64_t idx[{max(r, 1)}] = {{0}}, rest = first;",
            f"for (int d = {r - 1}; d >= 0; d--) {{ idx[d] = rest % k.shape[d]; "
            "rest /= k.shape[d]; }",
            "(void)rest; (void)sb;",
            *reads, message, "}"]
