"""What the code generator's parts share: C types and literals, and the Writer that collects the
generated function and knows the C name of every variable."""

from __future__ import annotations

import numpy as np

CTYPES = {"bool": "gl_bool", "int8": "int8_t", "int16": "int16_t", "int32": "int32_t",
          "int64": "int64_t", "uint8": "uint8_t", "uint16": "uint16_t", "uint32": "uint32_t",
          "uint64": "uint64_t", "float32": "float", "float64": "double"}
INT_LIMITS = {d: (np.iinfo(d).min, np.iinfo(d).max) for d in CTYPES if d[0] in "iu"}


# The int that generated loops whose values NumPy may refuse (integer powers with negative
# exponents: see codegen.scalar_errors) set when an element would raise, and return or store.
ERROR_FLAG = "gl_bad"


def flag_store(struct: str, flag: str) -> str:
    """C, in a part's task (run by gl_parallel), setting the `int bad` of its context, a
    `struct <struct>` at `c`, when `flag` is nonzero: parts may run at once, hence the atomic
    store (they all store 1); the caller reads `bad` after gl_parallel has returned."""
    return (f"if ({flag}) __atomic_store_n(&((struct {struct} *)c)->bad, 1, "
            "__ATOMIC_RELAXED);")


class Unsupported(Exception):
    """The graph has an op (or dtype) with no C form; the caller falls back to NumPy."""


def ctype(dtype: str) -> str:
    if dtype not in CTYPES:
        raise Unsupported(f"dtype {dtype} has no C form")
    return CTYPES[dtype]


def int64_value(pointer: str, dtype: str) -> str:
    """C reading the integer of `dtype` at `pointer` (an index, a slice bound or step, a length)
    as an int64_t. A uint64 above INT64_MAX becomes INT64_MAX rather than wrapping around to a
    negative value: as a Python int, it is past the end of any axis (an index out of range, a
    slice bound clamped to the length, a length too large), never one counted from the end."""
    read = f"*(const {ctype(dtype)} *)({pointer})"
    if dtype == "uint64":
        return f"({read} > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t){read})"
    return f"(int64_t){read}"


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


class Writer:
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
        self.known: set = set()        # variables whose values exist in phase 0
        self.parallel = False          # the module runs parts on the thread pool (gl_parallel)
        self.arrays: list = []         # variables passed in by the caller (inputs, big constants)
        self.conditions: dict = {}     # IfElse node -> the C int holding the branch it takes
        self.copied_out: set = set()   # outputs computed with the shape code: copied to outs
        self.python_index: dict = {}   # node run in Python -> its index in gl_py calls

    def declare(self, var) -> str:
        name = f"v{len(self.names)}"
        self.names[var] = name
        r = max(var.type.ndim, 1)
        self.decls.append(f"char *p_{name} = 0; int64_t n_{name}[{r}] = {{0}}, "
                          f"s_{name}[{r}] = {{0}}, size_{name} = 1;")
        return name


def size_code(name: str, r: int, label: str) -> str:
    """C computing `size_<name>`, the element count, failing on overflow with a ValueError naming
    the shape, as NumPy fails to make an array of more elements than an int64 counts."""
    if r == 0:
        return f"size_{name} = 1;"
    label = label.replace('"', "'").replace("%", "%%")
    return (f"size_{name} = 1; for (int d = 0; d < {r}; d++) {{ if (n_{name}[d] < 0 || "
            f"gl_mul_size(size_{name}, n_{name}[d], &size_{name})) {{ char sz[96]; "
            f"GL_FAIL(\"{label}: an array of shape %s is too big\", "
            f"gl_shape_str(sz, {r}, n_{name})); }} }}")


def op_label(node) -> str:
    """The node's op as it may appear inside a C string literal of an error message."""
    return str(node.op).replace('"', "'").replace("%", "%%")


def alloc(w: Writer, var, name: str) -> None:
    """Give `var` a C-contiguous buffer: the caller's output array, or an intermediate one
    (gl_take: reused from an earlier call when one fits)."""
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
                    f"!({slot} = gl_take(bytes + 16))) {{ status = 2; "
                    f"snprintf(gl_err, 512, \"out of memory\"); goto done; }} }}")
        code.append(f"p_{name} = {slot};")
    w.root[var] = var


def output_like(w: Writer, node, out, like, equal: tuple = ()) -> str:
    """Declare `out` with the shape of `like` and give it a fresh buffer; returns its C name.
    `equal`, ((role, variable), (role, variable)), names two inputs whose shapes must be equal,
    checked first (a ValueError naming the op, the roles and the shapes)."""
    r, label = like.type.ndim, op_label(node)
    if equal:
        (role_a, x), (role_b, y) = equal
        a, b = w.names[x], w.names[y]
        differ = " || ".join(f"n_{a}[{d}] != n_{b}[{d}]" for d in range(r))
        w.shape_code.append(
            f"if ({differ}) {{ char sa[96], sb[96]; GL_FAIL(\"{label}: {role_a} has shape %s but "
            f"{role_b} has shape %s; they must be equal\", gl_shape_str(sa, {r}, n_{a}), "
            f"gl_shape_str(sb, {r}, n_{b})); }}")
    a, name = w.names[like], w.declare(out)
    w.shape_code += [f"n_{name}[{d}] = n_{a}[{d}];" for d in range(r)]
    w.shape_code.append(size_code(name, r, label))
    alloc(w, out, name)
    return name


def strided_copy(dst: str, dst_strides: str, src: str, src_strides: str, shape: str, r: int,
                 dst_ctype: str, src_ctype: str, assign: str = "=") -> list[str]:
    """C copying (and converting) an r-d array of shape `shape` between two strided layouts, or
    adding it (`assign` "+="); the arguments are C expressions (pointers, arrays of byte strides
    and lengths)."""
    if r == 0:
        return [f"*({dst_ctype} *)({dst}) {assign} ({dst_ctype})*(const {src_ctype} *)({src});"]
    last = r - 1
    empty = " || ".join(f"{shape}[{d}] == 0" for d in range(r))
    return [
        f"if (!({empty})) {{ int64_t idx[{r}] = {{0}}; char *bd = (char *)({dst}); "
        f"const char *bs = (const char *)({src});",
        "for (;;) {",
        f"for (int64_t j = 0; j < {shape}[{last}]; j++) "
        f"*({dst_ctype} *)(bd + j * {dst_strides}[{last}])"
        f" {assign} ({dst_ctype})*(const {src_ctype} *)(bs + j * {src_strides}[{last}]);",
        f"int d = {r - 2}; for (; d >= 0; d--) {{ idx[d]++; bd += {dst_strides}[d]; "
        f"bs += {src_strides}[d]; if (idx[d] < {shape}[d]) break; bd -= {dst_strides}[d] * "
        f"{shape}[d]; bs -= {src_strides}[d] * {shape}[d]; idx[d] = 0; }}",
        "if (d < 0) break; } }",
    ]
