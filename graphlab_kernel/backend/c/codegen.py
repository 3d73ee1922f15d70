"""Render one C source for a whole FunctionGraph. Only text is produced here; runtime.py compiles.

The generated function is

    static int gl_run(int phase, char **outs, int64_t *oshape, char *gl_err,
                      <per input: char *data, int64_t shape[0..r-1], int64_t strides[0..r-1]>)

Every call first computes and checks every shape, and compares the outputs' shapes with those in
`oshape`, writing the real ones there. Phase 0 stops there; phase 1 goes on to compute into the
caller's C-contiguous output buffers `outs` only if the shapes were as given, and otherwise returns
-1 (GL_SHAPES_CHANGED). So a caller that allocates its outputs like the previous call's makes one
call in the common case, and two when the shapes changed. Each variable is a data pointer with a
shape and byte strides, so views (DimShuffle) cost nothing and inputs of any layout (transposed,
negative strides, broadcast) are read in place. Intermediates are taken (gl_take) and given back
(gl_give) after their last use, to be reused by the next call; within a call, a dead
intermediate's buffer is reused by an elementwise node of the same dtype and shape (this is also
how an in-place Elemwise's destroy_map is honoured).
A positive return means an error whose message is in `gl_err` (1: bad shapes or values, 2: out of
memory, 3: index out of range); 4 means an input's data or strides are not aligned to its item
size (the caller then passes an aligned copy), and 5 that a shared variable's array, passed as
the buffer of its own update, overlaps another input (the caller then passes a fresh buffer; see
_in_place_updates), and 6 that a node run in Python raised (the caller raises its exception).

Python calls it through `gl_call(phase, <per output: pointer, expected shape>, <inputs>)`, whose
arguments are all plain values; the message and the real shapes are then read from per-thread
buffers (`gl_error()`, `gl_shapes()`).

Ops rendered: Elemwise (any scalar op with a c_expr, and fused Composites: one loop), DimShuffle,
Reduce, ArgReduce, Dot, Gemv/Gemm, DotMapGemv, Softmax/LogSoftmax/SoftmaxGrad, Subtensor,
IncSubtensor, AdvancedSubtensor1/AdvancedSubtensor, AdvancedIncSubtensor1/AdvancedIncSubtensor,
Reshape, Join, Alloc, ARange, Eye, RandomDraw, Shape, Shape_i, CheckShapes, Theano's extra ops
(extra_kernels.py), and IfElse, lazily: the nodes its condition needs run with the shape code,
and each node only one branch needs runs inside an `if` on it (_lazy_order). A Scan's body gets
a second entry, gl_loop, running all of a loop's steps in one call (_loop_entry).
An op with no C form (Scan itself, Print, any op without a kernel) runs as a call from the C back
into Python, with the shape code (_python_node; status 6 when it raises).
A value that sets a shape (a slice bound, a Reshape target, Alloc lengths, arange and eye bounds,
repeat, tile and split counts, what nonzero counts) is computed with the shape code, by whatever
nodes compute it (_shape_values). float16 or complex dtypes, an op with no C form that writes
into its inputs, or a graph above MAX_GRAPH_SIZE raises Unsupported: the function then runs whole
on the NumPy backend (f.backend == "numpy").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
import heapq
from pathlib import Path

import numpy as np

from graphlab_kernel.gof.fg import OUTPUT
from graphlab_kernel.gof.graph import Constant
from graphlab_kernel.tensor import scalar_ops as S
from graphlab_kernel.tensor.elemwise import DimShuffle, Elemwise
from graphlab_kernel.tensor.math import ArgReduce, Dot, Reduce
from graphlab_kernel.tensor.nnet import LogSoftmax, Softmax, SoftmaxGrad
from graphlab_kernel.tensor.blas import _ScaledProduct
from graphlab_kernel.tensor.fused import DotMapGemv
from graphlab_kernel.gradient import GradientOverride
from graphlab_kernel.ifelse import IfElse
from graphlab_kernel.backend.lazy import guards as lazy_guards
from graphlab_kernel.backend.profile import CALLS, HEAD, SHAPES, TOTAL, new_counts
from graphlab_kernel.tensor.shape import ARange, Alloc, Eye, Join, Reshape, Shape, Shape_i
from graphlab_kernel.tensor.advanced_subtensor import (AdvancedIncSubtensor, AdvancedIncSubtensor1,
                                                       AdvancedSubtensor, AdvancedSubtensor1)
from graphlab_kernel.tensor.subtensor import IncSubtensor, Subtensor
from graphlab_kernel.tensor.extra_ops import Repeat, Split, Tile
from graphlab_kernel.tensor.nonzero import NonZero
from graphlab_kernel.tensor.random import RandomDraw
from graphlab_kernel.tensor.shape_checks import CheckShapes
from graphlab_kernel.tensor.type import INT_DTYPES
from graphlab_kernel.backend.c.kernels import (emit_advanced_inc_subtensor,
                                               emit_advanced_subtensor, emit_alloc, emit_arange,
                                               emit_arg_reduce, emit_check_shapes, emit_dot,
                                               emit_dot_map_gemv,
                                               emit_eye, emit_inc_subtensor, emit_join, emit_reduce,
                                               emit_reshape, emit_scaled_product, emit_shape,
                                               emit_softmax, emit_softmax_grad, emit_subtensor,
                                               slice_bounds)
from graphlab_kernel.backend.c.random_kernels import emit_random_draw
from graphlab_kernel.backend.c.extra_kernels import EXTRA_EMITTERS
from graphlab_kernel.backend.c.writer import (ERROR_FLAG, Unsupported, Writer, alloc, c_literal,
                                              ctype, flag_store, op_label, size_code,
                                              strided_copy)

PRELUDE = (Path(__file__).with_name("prelude.h")).read_text()
EMBED_LIMIT = 256  # constants with more elements are passed in as hidden inputs
MAX_GRAPH_SIZE = 2000  # larger graphs run on NumPy: compiling them would take seconds

@dataclass
class Rendered:
    """A generated C module: its source, its cffi declarations, and how to call it."""

    source: str
    cdef: str
    hidden_inputs: list = field(default_factory=list)   # constant arrays passed after the inputs
    scalar_entry: bool = False                          # gl_scalar(...) exists (all 0-d)
    parallel: bool = False                              # bind the thread pool (gl_bind_pool)
    # output index -> input index: the caller may pass that input's array as the output's
    # buffer, and the new value is then computed in place (see _in_place_updates)
    in_place: dict = field(default_factory=dict)
    # the inputs gl_call takes by value (0-d float64 and int64 ones, except those updated in place):
    # a Python float or int goes straight in, without an array built for it
    by_value: frozenset = frozenset()
    loop_entry: bool = False                            # gl_loop(...) exists (see _loop_entry)
    # with profiling (render(profile=True)): the nodes timed one by one, in the order of their
    # counters (backend/profile.py; the counters are the last hidden input), and those run
    # with the shape code
    profiled: list | None = None
    shape_nodes: list = field(default_factory=list)
    # the nodes run in Python (_python_node), in the order of their index in gl_py calls; their
    # context is then the hidden input before the profile counters
    python_nodes: list = field(default_factory=list)


# --- scalar expressions -------------------------------------------------------------------------


def _argument_dtype(op: S.ScalarOp, position: int, in_dtypes, out_dtype: str) -> str | None:
    """The dtype an argument is converted to before `op` applies (None: left as it is)."""
    if isinstance(op, S.Cast) or (isinstance(op, S.Switch) and position == 0):
        return None
    if op.output == "bool" and not isinstance(op, S.Switch):
        return S.upcast(*in_dtypes)
    return out_dtype


def scalar_errors(op: S.ScalarOp, in_dtypes: Sequence[str], out_dtype: str) -> list[str]:
    """The messages of the ValueErrors NumPy may raise computing `op` on these dtypes (an integer
    power with a negative exponent: see ScalarOp.c_error). For each such op, scalar_lines emits a
    statement setting ERROR_FLAG when the element's values would raise; the loop around declares
    the flag, and the call fails after the loop when it is set (with the message of fail_code).
    No flag, no check: loops that cannot fail are generated as before."""
    if isinstance(op, S.Composite):
        dtypes = op.value_dtypes(*in_dtypes)
        found = [m for k, (sub, sub_args) in enumerate(op.program)
                 for m in scalar_errors(sub, [dtypes[a] for a in sub_args], dtypes[op.nin + k])]
        return list(dict.fromkeys(found))
    error = op.c_error(list(in_dtypes), out_dtype)
    return [error[1]] if error else []


def fail_code(node, errors: Sequence[str]) -> str:
    """C failing the call (status 1, a ValueError) with `errors`, the node's scalar_errors."""
    message = " / ".join(errors).replace('"', "'").replace("%", "%%")
    return f'GL_FAIL("{op_label(node)}: {message}");'


def scalar_lines(op: S.ScalarOp, args: list[str], in_dtypes: list[str], out_dtype: str,
                 out_name: str) -> list[str]:
    """C statements declaring `out_name` as `op` applied to the C variables `args` (and setting
    ERROR_FLAG when NumPy would raise: see scalar_errors)."""
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
        expr = op.c_expr_for(list(in_dtypes), out_dtype).format(*converted, ctype=out_c)
        error = op.c_error(list(in_dtypes), out_dtype)
        if error is not None:
            return [f"{ERROR_FLAG} |= ({error[0].format(*converted)});",
                    f"{out_c} {out_name} = ({out_c})({expr});"]
    return [f"{out_c} {out_name} = ({out_c})({expr});"]


# --- the module ---------------------------------------------------------------------------------


def render(fgraph, loop_entry: bool = False, profile: bool = False) -> Rendered:
    """Generate the C module computing `fgraph`, or raise Unsupported. With `loop_entry`, the
    module also has `gl_loop`, which runs the graph once per step of a loop (a Scan's body).
    With `profile`, it times itself: see _profile_statics."""
    w = Writer(fgraph)
    profiled: list = []
    order = fgraph.toposort()
    python = [node for node in order if _runs_in_python(node)]
    guards, conditions = {}, set()
    if any(getattr(node.op, "branches", None) is not None for node in order):
        order, guards, conditions = _lazy_order(fgraph, order)
    size = sum(len(n.op.scalar_op.program) if isinstance(n.op, Elemwise) and
               isinstance(n.op.scalar_op, S.Composite) else 1 for n in order)
    if size > MAX_GRAPH_SIZE:
        raise Unsupported(f"the graph has {size} nodes and fused instructions; above "
                          f"{MAX_GRAPH_SIZE}, the C compiler would take longer than NumPy saves")
    for var in fgraph.inputs:
        _input(w, var)
    for node in order:
        for var in node.inputs:
            if isinstance(var, Constant) and var not in w.names:
                _constant(w, var)
    for var in fgraph.outputs:
        if isinstance(var, Constant) and var not in w.names:
            _constant(w, var)
    for k, var in enumerate(fgraph.outputs):
        w.out_index.setdefault(var, k)
    # the values that set shapes (a slice bound, a reshape target, what nonzero counts...) are
    # computed with the shape code, from wherever they come
    sizing = [v.owner for node in order for v in _shape_values(node)]
    early = (_early_nodes(order, fgraph) | conditions | _with_ancestors(python)
             | _with_ancestors(sizing))
    w.python_index = {node: k for k, node in enumerate(python)}
    plain_tail, in_place = _in_place_updates(fgraph, order, early)
    tail = plain_tail + list(in_place)
    order = [node for node in order if node not in tail] + tail
    _in_place_checks(w, fgraph, in_place)
    last_use = _last_uses(order, fgraph)
    for step, node in enumerate(order):
        if tail and node is tail[0]:
            _output_copies(w, fgraph)  # before anything is written in place: they may read it
        guard = guards.get(node, ())
        for lazy, _ in guard:
            _set_condition(w, lazy, guards)
        if isinstance(node.op, IfElse):
            _set_condition(w, node, guards)
        marks = len(w.shape_code), len(w.run_code)
        if node in early:
            # a small integer computation on shapes, or a value a lazy node's condition needs:
            # run with the shape code (phase 0 too), so that Reshape, Alloc and indexing can
            # read its values before outputs are allocated, and the shape code of the nodes
            # under a branch runs only when that branch is taken. Never into an output's buffer
            # (its size is known only after the shape code): _output_copies copies it there.
            hidden = {v: w.out_index.pop(v) for v in node.outputs if v in w.out_index}
            run_code, w.run_code = w.run_code, w.shape_code
            _node(w, node, step, None)
            w.run_code = run_code
            w.out_index.update(hidden)
            w.copied_out.update(hidden)
            w.known.update(node.outputs)
            _guarded(w.shape_code, marks[0], guard, w)
            _free_dead(w, node, step, last_use)
        else:
            _node(w, node, step, last_use)
            if profile:  # the node's code between two clock reads (inside its branch's if)
                w.run_code.insert(marks[1], "gl_t0 = gl_clock();")
                w.run_code.append(f"gl_prof_add(gl_prof, {HEAD + len(profiled)}, gl_t0);")
                profiled.append(node)
            _guarded(w.shape_code, marks[0], guard, w)
            _guarded(w.run_code, marks[1], guard, w)
    if not tail:
        _output_copies(w, fgraph)
    _output_shapes(w, fgraph)
    if python:  # the runner's context for gl_py: a hidden input, filled in when it is made
        w.hidden.append(np.zeros(1, dtype=np.int64))
        w.params += ["char *in_gl_py", "int64_t in_n_gl_py_0", "int64_t in_s_gl_py_0"]
    if profile:  # the counters: the last hidden input, an array of this function's own
        w.hidden.append(new_counts(len(profiled)))
        w.params += ["char *in_gl_prof", "int64_t in_n_gl_prof_0", "int64_t in_s_gl_prof_0"]
    rendered = _assemble(w, fgraph, donors={i for _, i in in_place.values()}, profile=profile)
    rendered.in_place = dict(in_place.values())
    rendered.python_nodes = python
    if profile:
        rendered.profiled = profiled
        rendered.shape_nodes = [node for node in order if node in early]
    if loop_entry and not in_place and not python:
        entry, cdef = _loop_entry(w, fgraph)
        rendered.source += "\n" + entry + "\n"
        rendered.cdef += "\n" + cdef
        rendered.loop_entry = True
    return rendered


def _runs_in_python(node) -> bool:
    """Whether `node` runs as Python called from the C (_python_node): an op with no C form, or
    one that says why it runs in Python (`in_python`: Scan, whose loop runs in C on its own, and
    Print, which prints). An op that writes into its inputs (destroy_map) has no such path."""
    op = node.op
    if getattr(op, "branches", None) is not None:
        return False  # a lazy op: IfElse is C; _lazy_order refuses others
    native = (getattr(op, "in_python", None) is None and
              (isinstance(op, (DimShuffle, Elemwise, _ScaledProduct, DotMapGemv)) or
               any(c in _EMITTERS for c in type(op).__mro__)))
    if native:
        return False
    if op.destroy_map:
        raise Unsupported(f"{op} has no C form, and writes into its inputs")
    return True


def _with_ancestors(nodes) -> set:
    """`nodes` and every node computing a value they read, however indirectly."""
    found, stack = set(), list(nodes)
    while stack:
        node = stack.pop()
        if node is not None and node not in found:
            found.add(node)
            stack += [v.owner for v in node.inputs]
    return found


def _shape_values(node) -> list:
    """The inputs whose values set `node`'s output shapes in C (so they must be known with the
    shapes): slice bounds, a reshape target, alloc lengths, arange and eye bounds, repeat, tile
    and split counts, and the value nonzero counts the elements of."""
    op, ins = node.op, node.inputs
    if isinstance(op, Subtensor):
        return slice_bounds(op.idx_list, ins[1:])
    if isinstance(op, IncSubtensor):
        return slice_bounds(op.idx_list, ins[2:])
    if isinstance(op, (Reshape, Repeat, Tile, Split)):
        return [ins[1]]
    if isinstance(op, Alloc):
        return list(ins[1:])
    if isinstance(op, (ARange, Eye, NonZero)):
        return list(ins)
    return []


def _python_node(w: Writer, node) -> None:
    """A node run by Python, called from the C through `gl_py(ctx, k, ...)`.

    It runs with the shape code (its outputs' shapes are known only once it has run; the nodes
    it reads run there too): the C passes each input as a pointer with its shape and strides,
    and Python (runtime.PythonNodes) runs the op's perform on arrays viewing them, checks the
    results' dtypes and ranks, and hands back a pointer, shape and strides per output. Those
    arrays belong to Python for the whole call (never to a view of a C buffer: a result sharing
    memory with an input is copied), so the C never frees nor reuses them, and copies those that
    are outputs (copied_out). A non-zero return means the op raised: status 6, and the runner
    raises that exception. Within one call a node runs once, even when the call's shapes change
    and gl_run runs again: the runner hands back the same results."""
    k = w.python_index[node]
    ins, outs = node.inputs, node.outputs
    in_dims, out_dims = sum(2 * v.type.ndim for v in ins), sum(2 * v.type.ndim for v in outs)
    code = [f"/* {op_label(node)}: run in Python */",
            f"{{ char *gl_pa[{max(len(ins), 1)}]; int64_t gl_pd[{max(in_dims, 1)}]; "
            f"char *gl_pr[{max(len(outs), 1)}]; int64_t gl_prd[{max(out_dims, 1)}];"]
    at = 0
    for j, v in enumerate(ins):
        a, r = w.names[v], v.type.ndim
        code.append(f"gl_pa[{j}] = p_{a};" + "".join(
            f" gl_pd[{at + d}] = n_{a}[{d}]; gl_pd[{at + r + d}] = s_{a}[{d}];" for d in range(r)))
        at += 2 * r
    code.append(f"if (gl_py(gl_py_ctx, {k}, gl_pa, gl_pd, gl_pr, gl_prd)) {{ status = 6; "
                f"snprintf(gl_err, 512, \"{op_label(node)} raised\"); goto done; }}")
    at = 0
    names = []
    for j, v in enumerate(outs):
        name, r = w.declare(v), v.type.ndim
        names.append(name)
        code.append(f"p_{name} = gl_pr[{j}];" + "".join(
            f" n_{name}[{d}] = gl_prd[{at + d}]; s_{name}[{d}] = gl_prd[{at + r + d}];"
            for d in range(r)))
        code.append(size_code(name, r, op_label(node)))
        at += 2 * r
        w.root[v] = v
    code.append("}")
    w.run_code += code  # the shape code: python nodes are early nodes


def _lazy_order(fgraph, order) -> tuple[list, dict, set]:
    """For a graph with lazy nodes (IfElse): the order to emit its nodes in, each node's guard
    (backend/lazy.py: the branches under which it runs), and the nodes the conditions need.

    Those nodes run with the shape code, so that the shape code of a node under a branch runs
    only when its branch is taken; they come first, and a node comes after the conditions of its
    guard, which are read before it runs."""
    for node in order:
        if getattr(node.op, "branches", None) is not None and not isinstance(node.op, IfElse):
            raise Unsupported(f"{node.op} has no C form")
    guards = lazy_guards(fgraph, order)
    conditions: set = set()
    stack = [n.inputs[0].owner for n in order if isinstance(n.op, IfElse)]
    while stack:
        node = stack.pop()
        if node is not None and node not in conditions:
            conditions.add(node)
            stack += [v.owner for v in node.inputs]
            stack += [lazy.inputs[0].owner for lazy, _ in guards[node]]
    position = {node: k for k, node in enumerate(order)}
    needs = {node: {v.owner for v in node.inputs if v.owner is not None} |
             {lazy.inputs[0].owner for lazy, _ in guards[node]
              if lazy.inputs[0].owner is not None} for node in order}
    users: dict = {node: [] for node in order}
    for node, before in needs.items():
        for other in before:
            users[other].append(node)
    waiting = {node: len(before) for node, before in needs.items()}
    ready = [(node not in conditions, position[node], node) for node in order if not needs[node]]
    heapq.heapify(ready)
    emitted = []
    while ready:
        _, _, node = heapq.heappop(ready)
        emitted.append(node)
        for user in users[node]:
            waiting[user] -= 1
            if not waiting[user]:
                heapq.heappush(ready, (user not in conditions, position[user], user))
    if len(emitted) != len(order):
        raise Unsupported("an ifelse's condition is computed under its own branches")
    return emitted, guards, conditions


def _guard_code(w: Writer, guard: tuple) -> str:
    """C true when every branch of `guard` is the one taken (conditions set by _set_condition)."""
    return " && ".join(("" if branch else "!") + w.conditions[lazy] for lazy, branch in guard) \
        or "1"


def _set_condition(w: Writer, lazy, guards: dict) -> None:
    """Once, in the shape code: the branch an IfElse takes, where its own guard holds (else its
    condition is never computed, and nothing under its branches runs). The conditions of its
    guard are set before it (they come first in every guard holding it)."""
    if lazy in w.conditions:
        return
    name = w.conditions[lazy] = f"gl_cond{len(w.conditions)}"
    w.decls.append(f"int {name} = 0;")
    cond = lazy.inputs[0]
    read = f"{name} = (*(const {ctype(cond.type.dtype)} *)p_{w.names[cond]} != 0);"
    guard = guards.get(lazy, ())
    w.shape_code.append(f"if ({_guard_code(w, guard)}) {read}" if guard else read)


def _guarded(code: list[str], start: int, guard: tuple, w: Writer) -> None:
    """Put the lines code[start:] under `guard` (nothing to do for nodes always run)."""
    if guard and len(code) > start:
        code.insert(start, f"if ({_guard_code(w, guard)}) {{")
        code.append("}")


def _if_else(w: Writer, node) -> None:
    """IfElse: each output a copy of the branch value taken (its shape is that value's)."""
    cond = w.conditions[node]
    n = node.op.n_outs
    for out, a, b in zip(node.outputs, node.inputs[1:1 + n], node.inputs[1 + n:]):
        r, dc = out.type.ndim, ctype(out.type.dtype)
        x, y, name = w.names[a], w.names[b], w.declare(out)
        w.shape_code.append(f"if ({cond}) {{" + "".join(f" n_{name}[{d}] = n_{x}[{d}];"
                                                      for d in range(r)) + " } else {"
                            + "".join(f" n_{name}[{d}] = n_{y}[{d}];" for d in range(r)) + " }")
        w.shape_code.append(size_code(name, r, op_label(node)))
        alloc(w, out, name)
        w.run_code.append(f"{{ const char *gsrc = {cond} ? p_{x} : p_{y}; "
                          f"const int64_t *gss = {cond} ? s_{x} : s_{y};")
        w.run_code += strided_copy(f"p_{name}", f"s_{name}", "gsrc", "gss", f"n_{name}", r,
                                   dc, dc)
        w.run_code.append("}")


def _input(w: Writer, var) -> None:
    name = w.declare(var)
    w.known.add(var)
    ctype(var.type.dtype)
    r = var.type.ndim
    w.params.append(f"char *in_{name}")
    w.params += [f"int64_t in_n_{name}_{d}" for d in range(r)]
    w.params += [f"int64_t in_s_{name}_{d}" for d in range(r)]
    w.shape_code.append(f"p_{name} = in_{name};")
    for d in range(r):
        w.shape_code.append(f"n_{name}[{d}] = in_n_{name}_{d}; s_{name}[{d}] = in_s_{name}_{d};")
    item = np.dtype(var.type.dtype).itemsize
    if item > 1:  # compiled loops read whole items: refuse misaligned data (status 4)
        bits = " | ".join([f"(uintptr_t)p_{name}"] + [f"(n_{name}[{d}] > 1 ? (uintptr_t)s_{name}"
                                                       f"[{d}] : 0)" for d in range(r)])
        w.shape_code.append(f"if (({bits}) % {item}) {{ status = 4; goto done; }}")
    w.shape_code.append(size_code(name, r, str(var)))
    w.root[var] = var
    w.arrays.append(var)


def _constant(w: Writer, var) -> None:
    data = np.asarray(var.data)
    dtype = var.type.dtype
    if data.size > EMBED_LIMIT:
        w.hidden.append(np.ascontiguousarray(data, dtype=dtype))
        _input(w, var)
        return
    name = w.declare(var)
    w.known.add(var)
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


def _last_uses(order, fgraph) -> dict:
    """For each variable, the index of the last node that reads it (views extend their root)."""
    last = {}
    for step, node in enumerate(order):
        for var in node.inputs:
            last[var] = step
    return last


def _small_int(var) -> bool:
    return var.type.ndim <= 1 and (var.type.dtype in INT_DTYPES or var.type.dtype == "bool")


def _small_value(var) -> bool:
    """A value the shape code may compute: a small integer (or boolean) one, or a float scalar
    (the length of a float arange is computed in float64)."""
    return _small_int(var) or (var.type.ndim == 0 and var.type.dtype in ("float32", "float64"))


def _early_nodes(order, fgraph) -> set:
    """Nodes computing small values from shapes, constants and small inputs only (shape and
    index arithmetic, as x[i + 1] or x.reshape((n, -1)) with n an input, and shape
    inference's lengths and checks: a float arange's length, the sum of repeat's counts,
    whether an input index vector is within its axis)."""
    early = set()
    values = {v for v in fgraph.inputs if _small_value(v)}
    outputs = set(fgraph.outputs)
    for node in order:
        if any(o in outputs for o in node.outputs):
            continue
        small = all(_small_value(o) for o in node.outputs)
        from_values = all(isinstance(i, Constant) or i in values for i in node.inputs)
        if isinstance(node.op, (Shape, Shape_i)) or (
                small and from_values and isinstance(node.op, _SHAPE_ARITHMETIC)):
            early.add(node)
            values.update(node.outputs)
    return early


# The ops that compute with the shapes when they read only shapes and small values.
_SHAPE_ARITHMETIC = (Elemwise, DimShuffle, Join, Subtensor, Reduce, CheckShapes)


def _arrays_read(var) -> set:
    """The function inputs whose memory `var` may be: itself, or what its views read (the ops
    with a view_map, whose C form may be pointer arithmetic on their input: DimShuffle,
    Subtensor, Reshape, diagonal, ...)."""
    found, stack = set(), [var]
    while stack:
        v = stack.pop()
        if v.owner is None:
            found.add(v)
        else:
            stack += [v.owner.inputs[i] for i in v.owner.op.view_map.get(v.index, [])]
    return found


# The ops writing y into a region of x (its indices are their inputs after x and y).
_WRITERS = (IncSubtensor, AdvancedIncSubtensor1, AdvancedIncSubtensor)


def _in_place_updates(fgraph, order, early: set | None = None) -> tuple[list, dict]:
    """Which shared variables' updates may be computed in the variable's own array.

    Theano's classic: `W - lr * dot(X.T, g)` becomes a Gemm that adds into W itself, rather
    than copying 2 MB of weights to a fresh array every step. Here the graph stays as it is; the
    C code computes such an update into its output buffer, and the caller may pass the shared
    variable's own array as that buffer (the direct call does, when the array is writable and
    C-contiguous). The C code then checks that no other input overlaps it (status 5 otherwise:
    the caller calls again with a fresh buffer). A node qualifies when it is an Elemwise reading
    the variable once, a Gemm/Gemv whose z is the variable, or an inc_subtensor/set_subtensor of
    it, at basic or advanced indices (an embedding's row update then writes its rows, not a copy
    of the whole table, for one id or a vector of them); no other input of it is a view of the
    variable; and its output is that update and nothing else. For the write to be safe:
    - the nodes run last, after every other node and output copy (which may read the old value);
    - among themselves, a node reading another's variable runs before it (in a cycle, one of
      them is computed into a fresh array, like any node);
    - none of them can fail (matmul cannot, Elemwise and the writers allocate nothing, and
      indices, every value of an index array included, were checked with the shapes; an
      Elemwise whose values may make it fail, an integer power, is no candidate, nor a writer
      whose index is computed from array values, i.e. not by a function input, a constant or an
      `early` node), so a call that fails has changed no shared variable.
    Returns (the declined nodes, {node: (output index, input index)} in the order to run)."""
    if early is None:
        early = _early_nodes(order, fgraph)
    candidates = {}
    for k, i in fgraph.update_mapping.items():
        out, target = fgraph.outputs[k], fgraph.inputs[i]
        node = out.owner
        if node is None or out.type != target.type or fgraph.clients_of(out) != [(OUTPUT, k)] \
                or node in early:  # (an ifelse's condition, computed with the shape code)
            continue
        if isinstance(node.op, Elemwise):
            if scalar_errors(node.op.scalar_op, [v.type.dtype for v in node.inputs],
                             out.type.dtype):
                continue  # it may fail after writing part of the variable
            positions = [j for j, v in enumerate(node.inputs) if v is target]
        elif isinstance(node.op, _WRITERS) or (isinstance(node.op, _ScaledProduct) and
                                               out.type.dtype in ("float32", "float64")):
            positions = [0] if node.inputs[0] is target else []
            if isinstance(node.op, _WRITERS) and any(
                    v.owner is not None and v.owner not in early for v in node.inputs[2:]):
                continue  # its index is checked only when it runs
        else:
            continue
        if len(positions) != 1 or any(target in _arrays_read(v) for j, v in
                                      enumerate(node.inputs) if j != positions[0]):
            continue
        candidates[node] = (k, i)
    reads = {n: set().union(*(_arrays_read(v) for v in n.inputs)) for n in candidates}
    target_of = {n: fgraph.inputs[i] for n, (_, i) in candidates.items()}
    pending = sorted(candidates, key=order.index)
    declined, ordered = [], {}
    while pending:
        # one whose variable no other pending node reads may write it now
        ready = next((n for n in pending if not any(target_of[n] in reads[m]
                                                    for m in pending if m is not n)), None)
        if ready is None:
            declined.append(pending.pop())
        else:
            pending.remove(ready)
            ordered[ready] = candidates[ready]
    return declined, ordered


def _in_place_checks(w: Writer, fgraph, in_place: dict) -> None:
    """C refusing (status 5) a shared variable's array as its update's output buffer when it
    overlaps any other array passed in: its new value would be written while they are read."""
    for k, i in in_place.values():
        target = fgraph.inputs[i]
        t = w.names[target]
        item = np.dtype(target.type.dtype).itemsize
        apart = [f"gl_apart(p_{t}, size_{t} * {item}, p_{w.names[v]}, {v.type.ndim}, "
                 f"n_{w.names[v]}, s_{w.names[v]}, {np.dtype(v.type.dtype).itemsize})"
                 for v in w.arrays if v is not target]
        apart_from_all = " &&\n    ".join(apart) or "1"
        w.run_code += [(f"/* output {k} is input {i}'s next value: computed in place when the "
                        "caller passes the input's array as its buffer */"),
                       f"if (outs[{k}] == p_{t} && !({apart_from_all})) {{",
                       (f"snprintf(gl_err, 512, \"input {i} overlaps another input: it cannot be "
                        "updated in place\"); status = 5; goto done; }")]


# The ops whose kernel needs only the writer and the node (looked up along the op's class MRO).
_EMITTERS = {
    Reduce: emit_reduce, Dot: emit_dot, ArgReduce: emit_arg_reduce, Subtensor: emit_subtensor,
    Reshape: emit_reshape, Join: emit_join, Alloc: emit_alloc, IncSubtensor: emit_inc_subtensor,
    ARange: emit_arange, Eye: emit_eye,
    Shape: emit_shape, CheckShapes: emit_check_shapes,
    Shape_i: lambda w, node: emit_shape(w, node, node.op.i),
    Softmax: lambda w, node: emit_softmax(w, node, log=False),
    LogSoftmax: lambda w, node: emit_softmax(w, node, log=True),
    SoftmaxGrad: emit_softmax_grad,
    AdvancedSubtensor1: emit_advanced_subtensor, AdvancedSubtensor: emit_advanced_subtensor,
    AdvancedIncSubtensor1: emit_advanced_inc_subtensor,
    AdvancedIncSubtensor: emit_advanced_inc_subtensor,
    RandomDraw: emit_random_draw,
    IfElse: _if_else,
    # the identity, where the optimizer did not remove it (mode NO_OPT): a view
    GradientOverride: lambda w, node: _view_of(w, node.inputs[0], node.outputs[0],
                                               range(node.outputs[0].type.ndim)),
    **EXTRA_EMITTERS,
}


def _node(w: Writer, node, step: int, last_use: dict | None) -> None:
    """Emit one node (`last_use` None: no buffer reuse, for nodes run in phase 0)."""
    op = node.op
    if node in w.python_index:
        _python_node(w, node)
    elif isinstance(op, DimShuffle):
        _dimshuffle(w, node)
    elif isinstance(op, Elemwise):
        _elemwise(w, node, step, last_use)
    elif isinstance(op, _ScaledProduct) and node.inputs[0].type.dtype in ("float32", "float64"):
        emit_scaled_product(w, node)
    elif isinstance(op, DotMapGemv):
        dtypes = [v.type.dtype for v in node.inputs]
        dtypes = [dtypes[0], *dtypes[5:]]
        xs = [f"x{j}" for j in range(len(dtypes))]
        body = scalar_lines(op.program, xs, dtypes, dtypes[0], "y")
        errors = scalar_errors(op.program, dtypes, dtypes[0])
        for j, (extra, out) in enumerate(zip(op.extras, node.outputs[3:])):
            body += scalar_lines(extra, xs, dtypes, out.type.dtype, f"e{j}")
            errors += scalar_errors(extra, dtypes, out.type.dtype)
        errors = list(dict.fromkeys(errors))
        emit_dot_map_gemv(w, node, body, _loop_helper, fail_code(node, errors) if errors else None)
    else:
        emit = next((_EMITTERS[c] for c in type(op).__mro__ if c in _EMITTERS), None)
        if emit is None:
            raise Unsupported(f"{op} has no C form")
        emit(w, node)
    if last_use is not None:
        _free_dead(w, node, step, last_use)


def _dead_after(w: Writer, root, step: int, last_use: dict) -> bool:
    """Whether nothing reads the buffer of `root` after node `step`: no later node reads it or a
    view of it, and no output is it or a view of it (outputs are copied out at the end)."""
    return not any(last_use.get(v, -1) > step for v, r in w.root.items() if r is root) \
        and not any(w.root.get(o) is root for o in w.fgraph.outputs)


def _free_dead(w: Writer, node, step: int, last_use: dict) -> None:
    """Free the buffers whose every user has run."""
    for var in node.inputs:
        root = w.root.get(var)
        if root is None or last_use.get(var) != step or not _dead_after(w, root, step, last_use):
            continue
        slot = f"buf_{w.names[root]}"
        if slot in w.owned:
            w.run_code.append(f"gl_give({slot}); {slot} = 0;")


def _dimshuffle(w: Writer, node) -> None:
    _view_of(w, node.inputs[0], node.outputs[0], node.op.new_order)


def _view_of(w: Writer, x, out, new_order) -> None:
    """`out` as a view of `x`, its axis d being x's axis new_order[d] (or a new length-1 axis
    for 'x'): the same data, other lengths and strides."""
    a, name = w.names[x], w.declare(out)
    code = [f"p_{name} = p_{a};"]
    for d, src in enumerate(new_order):
        if src == "x":
            code.append(f"n_{name}[{d}] = 1; s_{name}[{d}] = 0;")
        else:
            code.append(f"n_{name}[{d}] = n_{a}[{src}]; s_{name}[{d}] = s_{a}[{src}];")
    code.append(f"size_{name} = size_{a};")
    w.shape_code += code
    w.run_code += code  # pointers are only known at run time
    w.root[out] = w.root[x]


def _broadcast_shape_code(w: Writer, node, name: str, ins: list[str], r: int) -> list[str]:
    """The output's shape: each axis the common length of the inputs', where an input may have
    length 1 only if its type broadcasts along that axis (Elemwise's rule)."""
    label = op_label(node)
    fmt = ", ".join(["%s"] * len(ins))
    shapes = ", ".join(f"gl_shape_str(sb{j}, {r}, n_{a})" for j, a in enumerate(ins))
    bufs = " ".join(f"char sb{j}[96];" for j in range(len(ins)))
    fail = f"{{ {bufs} GL_FAIL(\"{label}: input shapes {fmt} do not broadcast\", {shapes}); }}"
    code = []
    for d in range(r):
        fixed = [a for a, v in zip(ins, node.inputs) if not v.type.broadcastable[d]]
        if not fixed:
            code.append(f"n_{name}[{d}] = 1;")
            continue
        code.append(f"n_{name}[{d}] = n_{fixed[0]}[{d}];")
        code += [f"if (n_{a}[{d}] != n_{name}[{d}]) {fail}" for a in fixed[1:]]
    code.append(size_code(name, r, label))
    return code


def _elemwise(w: Writer, node, step: int, last_use: dict) -> None:
    op, out = node.op, node.outputs[0]
    r = out.type.ndim
    ins = [w.names[v] for v in node.inputs]
    name = w.declare(out)
    w.shape_code += _broadcast_shape_code(w, node, name, ins, r)
    # Reuse a dead intermediate's buffer (in-place) when dtype and shape allow.
    reusable = [] if last_use is None else [v for v in node.inputs
                if w.root.get(v) is v and f"buf_{w.names[v]}" in w.owned
                and last_use.get(v) == step and v.type.dtype == out.type.dtype
                and sum(w.root.get(u) is v for u in node.inputs) == 1 and out not in w.out_index
                and _dead_after(w, v, step, last_use)]
    inplace_first = [node.inputs[i] for _, i in op.inplace_pattern]
    reusable.sort(key=lambda v: v not in inplace_first)
    if reusable:
        t = w.names[reusable[0]]
        same = " && ".join(f"n_{t}[{d}] == n_{name}[{d}]" for d in range(r)) or "1"
        w.run_code.append(f"if ({same}) {{ buf_{name} = buf_{t}; buf_{t} = 0; p_{name} = p_{t};"
                          + "".join(f" s_{name}[{d}] = s_{t}[{d}];" for d in range(r))
                          + " } else {")
        alloc(w, out, name)
        w.run_code.append("}")
    else:
        alloc(w, out, name)
    in_dtypes = [v.type.dtype for v in node.inputs]
    body = scalar_lines(op.scalar_op, [f"x{j}" for j in range(len(ins))], in_dtypes,
                        out.type.dtype, "y")
    single = [all(v.type.broadcastable) for v in node.inputs]
    inner_bcast = [bool(v.type.broadcastable) and v.type.broadcastable[-1] for v in node.inputs]
    errors = scalar_errors(op.scalar_op, in_dtypes, out.type.dtype)
    code, helper = _elemwise_loop(name, ins, in_dtypes, out.type.dtype, r, body, single,
                                  inner_bcast, fail_code(node, errors) if errors else None)
    w.run_code += code
    w.statics += helper
    w.parallel = w.parallel or r > 0


def _elemwise_loop(name, ins, in_dtypes, out_dtype, r, body, single, inner_bcast,
                   fail: str | None = None):
    """The loop: a flat one when every operand is contiguous or a single value, else strided.

    `single[j]` says input j is a single value by its type (every dimension broadcastable);
    `inner_bcast[j]` that its last dimension is broadcastable (one value per row). `fail`, when
    the body sets ERROR_FLAG, is the C failing the call: each loop function (and each part of one
    run in parallel) keeps a flag of its own, and the call fails after the loop if one is set.
    """
    oc = ctype(out_dtype)
    checked = fail is not None
    code = ["{"]
    conds = []
    for j, a in enumerate(ins):
        if single[j] or not r:
            continue
        item = np.dtype(in_dtypes[j]).itemsize
        checks = [f"size_{a} == size_{name}", f"s_{a}[{r - 1}] == {item}"]
        for d in range(r - 1):
            checks.append(f"(n_{a}[{d}] <= 1 || s_{a}[{d}] == s_{a}[{d + 1}] * n_{a}[{d + 1}])")
        conds.append("(" + " && ".join(checks) + ")")
    if r:
        conds.append(f"s_{name}[{r - 1}] == {np.dtype(out_dtype).itemsize}")
        conds += [f"(n_{name}[{d}] <= 1 || s_{name}[{d}] == s_{name}[{d + 1}] * n_{name}[{d + 1}])"
                  for d in range(r - 1)]
    code.append(f"if ({' && '.join(conds) or '1'}) {{")
    flat = [single[j] or not r for j in range(len(ins))]
    helper = _loop_helper(f"gl_flat_{name}", in_dtypes, flat, oc, body, checked=checked)
    if r:  # a large array is cut into parts run on the thread pool
        helper += _flat_task(name, in_dtypes, flat, oc, checked)
        work = f"size_{name} * {len(body) + len(ins)}"
        code.append(f"struct gl_ew_{name} k = {{{{{', '.join(f'p_{a}' for a in ins)}}}, "
                    f"p_{name}, size_{name}, gl_parts({work})}};")
        code.append(f"gl_parallel(gl_ew_task_{name}, &k, k.nparts);")
        if checked:
            code.append(f"if (k.bad) {fail}")
    else:
        call = _call_helper(f"gl_flat_{name}", ins, in_dtypes, flat, "p", f"size_{name}",
                            f"p_{name}", oc)
        code.append(f"if ({call}) {fail}" if checked else f"{call};")
    code += ["} else {"]
    # strided: an odometer over the outer dimensions, a loop over the last. Rows whose operands
    # are contiguous along the last axis (or constant along it) go to a vectorized row helper.
    # From rank 2, a task runs ranges of whole rows (in parts when large); below, the one row
    # is computed here.
    per_row = [single[j] or inner_bcast[j] or not r for j in range(len(ins))]
    row_fn = f"gl_flat_{name}" if per_row == flat else f"gl_row_{name}"
    if per_row != flat:
        helper += _loop_helper(row_fn, in_dtypes, per_row, oc, body, checked=checked)
    if r >= 2:  # whole rows in parts, on the thread pool when there are enough of them
        helper += _strided_task(name, in_dtypes, out_dtype, r, body, per_row, row_fn, checked)
        strides = ", ".join("{" + ", ".join(f"n_{a}[{d}] == 1 ? 0 : s_{a}[{d}]" for d in range(r))
                            + "}" for a in ins)
        code.append(f"if (size_{name} > 0) {{")
        code.append(f"struct gl_st_{name} k = {{{{{', '.join(f'p_{a}' for a in ins)}}}, p_{name}, "
                    f"{{{strides}}}, {{{', '.join(f's_{name}[{d}]' for d in range(r))}}}, "
                    f"{{{', '.join(f'n_{name}[{d}]' for d in range(r))}}}, "
                    f"size_{name} / n_{name}[{r - 1}], gl_parts(size_{name} * "
                    f"{len(body) + len(ins)})}};")
        code.append("if (k.nparts > k.rows) k.nparts = k.rows;")
        code.append(f"gl_parallel(gl_st_task_{name}, &k, k.nparts);")
        if checked:
            code.append(f"if (k.bad) {fail}")
        code += ["}", "}", "}"]
        return code, helper
    code.append(f"if (size_{name} > 0) {{")
    for j, a in enumerate(ins):
        strides = ", ".join(f"n_{a}[{d}] == 1 ? 0 : s_{a}[{d}]" for d in range(r)) or "0"
        code.append(f"int64_t t{j}[{max(r, 1)}] = {{{strides}}}; const char *b{j} = p_{a};")
    code.append(f"char *by = p_{name};")
    if checked:
        code.append(f"int {ERROR_FLAG} = 0;")
    inner_n = f"n_{name}[{r - 1}]" if r else "1"
    steps = [f"t{j}[{r - 1}]" if r else "0" for j in range(len(ins))]
    ystride = f"s_{name}[{r - 1}]" if r else None
    code.append(f"if ({_rows_ok(in_dtypes, out_dtype, per_row, steps, ystride)})")
    code += _row_code(in_dtypes, body, per_row, row_fn, [f"b{j}" for j in range(len(ins))], steps,
                      inner_n, ystride or "0", oc, checked)
    if checked:
        code.append(f"if ({ERROR_FLAG}) {fail}")
    code += ["}", "}", "}"]
    return code, helper


def _loop_helper(fn: str, in_dtypes, scalar, oc: str, body: list[str],
                 extra_outs: Sequence[tuple[str, str]] = (), checked: bool = False) -> list[str]:
    """A loop over n elements as a function of its own, where gcc vectorizes it reliably (inline,
    next to the strided loop, it sometimes does not). Inputs flagged in `scalar` come in as values.
    `body` declares y, stored to qy, and the (C type, variable) `extra_outs`, stored to q<var>.
    ivdep: an output buffer is either distinct from the inputs or exactly one of them (in-place),
    so no iteration depends on another. `checked`: the body sets ERROR_FLAG, which the function
    returns (an OR over the elements), else it returns nothing."""
    params, loads = ["int64_t n"], []
    for j, dtype in enumerate(in_dtypes):
        cj = ctype(dtype)
        if scalar[j]:
            params.append(f"const {cj} x{j}")
        else:
            params.append(f"const {cj} *q{j}")
            loads.append(f"const {cj} x{j} = q{j}[i];")
    params.append(f"{oc} *qy")
    params += [f"{c} *q{v}" for c, v in extra_outs]
    stores = ["qy[i] = y;"] + [f"q{v}[i] = {v};" for _, v in extra_outs]
    returns, flag, result = (("int", [f"int {ERROR_FLAG} = 0;"], [f"return {ERROR_FLAG};"])
                             if checked else ("void", [], []))
    return ([f"static __attribute__((noinline)) {returns} {fn}({', '.join(params)}) {{", *flag,
             "#pragma GCC ivdep", "for (int64_t i = 0; i < n; i++) {"]
            + loads + body + stores + ["}", *result, "}"])


def _flat_task(name: str, in_dtypes, scalar, oc: str, checked: bool = False) -> list[str]:
    """A part of a flat elementwise loop, for gl_parallel: its elements [lo, hi), with part
    boundaries on multiples of 16 items (whole cache lines, so no two threads write one).
    `checked`: a part whose elements set ERROR_FLAG sets the context's `bad`."""
    args = ["hi - lo"]
    for j, dtype in enumerate(in_dtypes):
        cj = ctype(dtype)
        args.append(f"*(const {cj} *)k->x[{j}]" if scalar[j] else f"(const {cj} *)k->x[{j}] + lo")
    args.append(f"({oc} *)k->y + lo")
    call = f"gl_flat_{name}({', '.join(args)})"
    return [f"struct gl_ew_{name} {{ const char *x[{max(len(in_dtypes), 1)}]; char *y; "
            f"int64_t n, nparts;{' int bad;' if checked else ''} }};",
            f"static void gl_ew_task_{name}(void *c, int64_t part) {{",
            f"const struct gl_ew_{name} *k = c;",
            "int64_t lo, hi;",
            "gl_part_range(k->n, part, k->nparts, 16, &lo, &hi);",
            flag_store(f"gl_ew_{name}", call) if checked else f"{call};",
            "}"]


def _rows_ok(in_dtypes, out_dtype, per_row, steps, ystride) -> str:
    """C: every operand read along the row is contiguous (`steps`: the inputs' strides along it,
    `ystride` the output's, or None)."""
    return " && ".join(
        [f"{steps[j]} == {np.dtype(d).itemsize}" for j, d in enumerate(in_dtypes) if not per_row[j]]
        + ([f"{ystride} == {np.dtype(out_dtype).itemsize}"] if ystride else [])) or "1"


def _row_code(in_dtypes, body, per_row, row_fn: str, ptrs, steps, inner_n: str, ystride: str,
              oc: str, checked: bool = False) -> list[str]:
    """C computing one row, to follow an `if (rows_ok)`: the row helper, else a plain loop
    (input row pointers `ptrs` and strides `steps`, output row pointer by). `checked`: both set
    ERROR_FLAG, which the code around must declare."""
    call = _call_helper(row_fn, ptrs, in_dtypes, per_row, "", inner_n, "by", oc)
    code = [f"{ERROR_FLAG} |= {call};" if checked else f"{call};", "else {"]
    loads = []
    for j, dtype in enumerate(in_dtypes):  # an input constant along the row is read once
        cj = ctype(dtype)
        step = "" if per_row[j] else f" + i * {steps[j]}"
        (code if per_row[j] else loads).append(f"const {cj} x{j} = *(const {cj} *)({ptrs[j]}{step});")
    code.append(f"for (int64_t i = 0; i < {inner_n}; i++) {{")
    code += loads + body
    code += [f"*({oc} *)(by + i * {ystride}) = y;", "}", "}"]
    return code


def _strided_task(name: str, in_dtypes, out_dtype, r: int, body, per_row, row_fn: str,
                  checked: bool = False) -> list[str]:
    """A part of a strided elementwise loop (rank r >= 2), for gl_parallel: the rows (outer
    indices, in C order) [lo, hi), boundaries depending only on the number of rows and parts.
    Its first row's outer index is unravelled into row pointers; from one row to the next they
    step along dimension r - 2 (strides kept in locals), and from rank 3 an odometer steps the
    outer dimensions when that index wraps around. `checked`: as in _flat_task."""
    nin, oc = len(in_dtypes), ctype(out_dtype)
    inner = r - 2
    first = "lo" if inner == 0 else "i2"
    code = [f"struct gl_st_{name} {{ const char *x[{max(nin, 1)}]; char *y; "
            f"int64_t t[{max(nin, 1)}][{r}], s[{r}], n[{r}], rows, nparts;"
            f"{' int bad;' if checked else ''} }};",
            f"static void gl_st_task_{name}(void *c, int64_t part) {{",
            f"const struct gl_st_{name} *k = c;",
            "int64_t lo, hi;",
            "gl_part_range(k->rows, part, k->nparts, 1, &lo, &hi);",
            f"const int64_t nn = k->n[{r - 1}], sy = k->s[{r - 1}], oy = k->s[{inner}];"]
    if inner:
        code.append(f"const int64_t m = k->n[{inner}]; int64_t idx[{inner}], i2 = lo % m;")
    code.append(f"char *by = k->y + {first} * oy;")
    code += [f"const int64_t u{j} = k->t[{j}][{r - 1}], o{j} = k->t[{j}][{inner}]; "
             f"const char *b{j} = k->x[{j}] + {first} * o{j};" for j in range(nin)]
    if inner:
        code.append(f"for (int64_t q = lo / m, d = {inner - 1}; d >= 0; d--) {{ idx[d] = q % "
                    "k->n[d]; q /= k->n[d];"
                    + "".join(f" b{j} += idx[d] * k->t[{j}][d];" for j in range(nin))
                    + " by += idx[d] * k->s[d]; }")
    steps = [f"u{j}" for j in range(nin)]
    code.append(f"const int rows_ok = {_rows_ok(in_dtypes, out_dtype, per_row, steps, 'sy')};")
    if checked:
        code.append(f"int {ERROR_FLAG} = 0;")
    code.append("for (int64_t row = lo; row < hi; row++) {")
    code.append("if (rows_ok)")
    code += _row_code(in_dtypes, body, per_row, row_fn, [f"b{j}" for j in range(nin)], steps,
                      "nn", "sy", oc, checked)
    code.append("".join(f"b{j} += o{j}; " for j in range(nin)) + "by += oy;")
    if inner:
        code.append("if (++i2 < m) continue;")
        code.append("".join(f"b{j} -= o{j} * m; " for j in range(nin)) + "by -= oy * m; i2 = 0;")
        code.append(f"for (int d = {inner - 1}; d >= 0; d--) {{")
        code.append("idx[d]++;" + "".join(f" b{j} += k->t[{j}][d];" for j in range(nin))
                    + " by += k->s[d];")
        code.append("if (idx[d] < k->n[d]) break;")
        code.append("".join(f"b{j} -= k->t[{j}][d] * k->n[d]; " for j in range(nin))
                    + "by -= k->s[d] * k->n[d]; idx[d] = 0;")
        code.append("}")
    code.append("}")
    if checked:
        code.append(flag_store(f"gl_st_{name}", ERROR_FLAG))
    code.append("}")
    return code


def _call_helper(fn: str, ins, in_dtypes, scalar, prefix: str, n: str, out: str, oc: str) -> str:
    """The call of a loop helper (an expression); input pointers are `<prefix>_<name>` (or the
    names themselves)."""
    args = [n]
    for j, a in enumerate(ins):
        cj = ctype(in_dtypes[j])
        pointer = f"{prefix}_{a}" if prefix else a
        args.append(f"*(const {cj} *){pointer}" if scalar[j] else f"(const {cj} *){pointer}")
    args.append(f"({oc} *){out}")
    return f"{fn}({', '.join(args)})"


def _output_shapes(w: Writer, fgraph) -> None:
    """Compare each output's shape with the one expected (`oshape`), writing the real one."""
    offset = 0
    for var in fgraph.outputs:
        name = w.names[var]
        for d in range(var.type.ndim):
            w.shape_code.append(f"if (oshape[{offset + d}] != n_{name}[{d}]) {{ "
                                f"oshape[{offset + d}] = n_{name}[{d}]; changed = 1; }}")
        offset += var.type.ndim


def _output_copies(w: Writer, fgraph) -> None:
    """Copy the outputs that are not computed into the caller's buffer (inputs, constants,
    views, repeated outputs). Emitted after every node but those updating shared variables."""
    for k, var in enumerate(fgraph.outputs):
        if var not in w.names:
            continue  # computed later, by an update node, into its buffer
        name = w.names[var]
        r = var.type.ndim
        written = var.owner is not None and w.out_index.get(var) == k and w.root.get(var) is var \
            and not isinstance(var.owner.op, DimShuffle) and var not in w.copied_out
        if written:
            continue
        # An input, a constant, a view, or a repeated output: copy into the fresh array.
        dc = ctype(var.type.dtype)
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
                 f"if (idx[d] < n_{name}[d]) break; bx -= s_{name}[d] * n_{name}[d]; "
                 "idx[d] = 0; }")
        c.append("if (d < 0) break; } }")


# Python's entry for the nodes run in Python (_python_node): context, node index, inputs
# (pointers; shapes and strides), outputs (pointers; shapes and strides, written by Python).
PYTHON_NODE_CALL = ("int gl_py(void *ctx, int node, char **ins, int64_t *in_dims, char **outs, "
                    "int64_t *out_dims);")


def _profile_statics() -> list[str]:
    """A profiled module's clock. The counters (backend/profile.py) are its last hidden input:
    a node adds the nanoseconds between two reads of the monotonic clock around its code, with
    atomic adds, so that calls from several threads add up."""
    return ["#include <time.h>",
            "static inline int64_t gl_clock(void) { struct timespec t; "
            "clock_gettime(CLOCK_MONOTONIC, &t); return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec; }",
            "static inline void gl_prof_add(int64_t *c, int k, int64_t since) { "
            "__atomic_fetch_add(&c[k], gl_clock() - since, __ATOMIC_RELAXED); }"]


def _assemble(w: Writer, fgraph, donors: set, profile: bool = False) -> Rendered:
    params = ", ".join(["int phase", "char **outs", "int64_t *oshape", "char *gl_err"] + w.params)
    lines = [PRELUDE, *(_profile_statics() if profile else ()), *w.statics, "",
             *([PYTHON_NODE_CALL] if w.python_index else ()),
             f"static int gl_run({params})", "{", "int status = 0, changed = 0;"]
    if profile:
        lines.append("int64_t *gl_prof = (int64_t *)in_gl_prof; const int64_t gl_t_run = "
                     "gl_clock(); int64_t gl_t0 = 0; (void)gl_t0;")
    if w.python_index:
        lines.append("void *gl_py_ctx = (void *)(intptr_t)*(const int64_t *)in_gl_py;")
    lines += w.decls
    lines += [f"char *{slot} = 0;" for slot in dict.fromkeys(w.owned)]
    lines += ["/* shapes */", *w.shape_code]
    if profile:
        lines.append(f"if (phase) gl_prof_add(gl_prof, {SHAPES}, gl_t_run);")
    lines += ["if (phase == 0) goto done;",
              "if (changed) { status = -1; goto done; }  /* GL_SHAPES_CHANGED */",
              "/* compute */", *w.run_code]
    lines += ["done:"] + [f"gl_give({slot});" for slot in dict.fromkeys(w.owned)]
    if profile:
        lines += [f"if (phase) gl_prof_add(gl_prof, {TOTAL}, gl_t_run);",
                  f"if (phase && status == 0) __atomic_fetch_add(&gl_prof[{CALLS}], 1, "
                  "__ATOMIC_RELAXED);"]
    lines += ["return status;", "}"]
    by_value = frozenset(i for i, v in enumerate(fgraph.inputs) if i not in donors and
                         v.type.ndim == 0 and v.type.dtype in ("float64", "int64"))
    entry, cdef = _call_entry(w, fgraph, by_value)
    lines += ["", entry]
    if w.parallel:
        cdef += "\nint gl_bind_pool(const char *path);"
    if w.python_index:  # defined by cffi's wrapper, calling runtime's dispatch
        cdef += '\nextern "Python+C" ' + PYTHON_NODE_CALL
    scalar = _scalar_entry(fgraph, w)
    if scalar:
        lines += ["", scalar[0]]
        cdef += "\n" + scalar[1]
    source = "\n".join(lines) + "\n"
    return Rendered(source, cdef, w.hidden, bool(scalar), w.parallel, by_value=by_value)


def _call_entry(w: Writer, fgraph, by_value: frozenset) -> tuple[str, str]:
    """`int gl_call(phase, out0, its expected shape..., out1, ..., the inputs...)`: what Python
    calls, every argument a plain value (no arrays to build per call): a pointer with shape and
    strides, or the value itself for the inputs `by_value`. It returns gl_run's status; an error
    message is then in `gl_error()`, and after status -1 (the outputs' shapes are not the
    expected ones) the real shapes are in `gl_shapes()`. Both are per thread."""
    outs = fgraph.outputs
    # gl_run's parameter `char *in_<name>` of a by-value input: gl_call's `<ctype> in_<name>`
    values = {f"char *in_{w.names[fgraph.inputs[i]]}": ctype(fgraph.inputs[i].type.dtype)
              for i in by_value}
    names = [p.split()[-1].lstrip("*") for p in w.params]
    entry_params = [f"{values[p]} {n}" if p in values else p for p, n in zip(w.params, names)]
    names = [f"(char *)&{n}" if p in values else n for p, n in zip(w.params, names)]
    n_dims = sum(v.type.ndim for v in outs)
    params, shapes = ["int phase"], []
    for k, var in enumerate(outs):
        params.append(f"char *out{k}")
        for d in range(var.type.ndim):
            params.append(f"int64_t o{k}_{d}")
            shapes.append(f"o{k}_{d}")
    params += entry_params
    out_list = ", ".join(f"out{k}" for k in range(len(outs))) or "0"
    if w.python_index:
        # A node run in Python may call this function again, on this thread, while gl_run runs:
        # each call compares and writes the shapes in an array of its own, copied out at the end.
        fill = "".join(f" shapes[{i}] = {o};" for i, o in enumerate(shapes))
        call = ", ".join(["phase", "outs", "shapes", "gl_err_tls"] + names)
        fill = f" int64_t shapes[{max(n_dims, 1)}] = {{0}};" + fill
        body = [f"const int status = gl_run({call});",
                "memcpy(gl_shape_tls, shapes, sizeof shapes); return status;"]
    else:
        fill = "".join(f" gl_shape_tls[{i}] = {o};" for i, o in enumerate(shapes))
        call = ", ".join(["phase", "outs", "gl_shape_tls", "gl_err_tls"] + names)
        body = [f"return gl_run({call});"]
    entry = "\n".join([
        "static __thread char gl_err_tls[512];",
        f"static __thread int64_t gl_shape_tls[{max(n_dims, 1)}];",
        "const char *gl_error(void) { return gl_err_tls; }",
        "const int64_t *gl_shapes(void) { return gl_shape_tls; }",
        f"int gl_call({', '.join(params)}) {{",
        f"char *outs[{max(len(outs), 1)}] = {{{out_list}}};{fill}",
        *body,
        "}"])
    cdef = (f"int gl_call({', '.join(params)});\nconst char *gl_error(void);\n"
            "const int64_t *gl_shapes(void);")
    return entry, cdef


def _loop_entry(w: Writer, fgraph) -> tuple[str, str]:
    """`int gl_loop(phase, n, until, taken, ib, id, ob, od, oshape)`: gl_run once per step t < n,
    every input and output at step t being one row of an array (Scan's loop, scan_module/op.py),
    so that a loop costs one call from Python rather than one per step.

    Input i (the graph's inputs, then its hidden constants) is read at `gl_at(ib[i], id + 3i, t)`:
    the byte offset step * p from its base, where p = t + offset, modulo wrap when wrap > 0 (a
    ring of the last values); its row's shape and strides follow, per input in order, in
    id[3 * n_inputs...]. Output k is written at gl_at(ob[k], od + 3k, t), C-contiguous, with the
    shape given in oshape (gl_run's protocol: -1 when a step's shapes are not those). Phase 0 runs
    step 0's shape code only, writing the outputs' shapes into oshape. With `until`, the loop
    stops after a step whose last output (a scalar) is nonzero. Returns gl_run's status, and
    the number of steps completed in *taken (the failing step's index, on failure)."""
    ranks = [v.type.ndim for v in fgraph.inputs] + [a.ndim for a in w.hidden]
    if sum(1 + 2 * r for r in ranks) != len(w.params):
        raise AssertionError("gl_loop: the inputs do not account for gl_run's parameters")
    n_out = len(fgraph.outputs)
    args, dim = [], 3 * len(ranks)
    for i, r in enumerate(ranks):
        args.append(f"gl_at(ib[{i}], id + {3 * i}, t)")
        args += [f"id[{dim + d}]" for d in range(2 * r)]
        dim += 2 * r
    last = fgraph.outputs[-1].type if fgraph.outputs else None
    stop = (f"if (until && *(const {ctype(last.dtype)} *)outs[{n_out - 1}]) {{ t++; break; }}"
            if last is not None and last.ndim == 0 else "")
    call = ", ".join(["phase", "outs", "oshape", "gl_err_tls"] + args)
    entry = "\n".join([
        "static inline char *gl_at(char *base, const int64_t *d, int64_t t) {",
        "int64_t p = t + d[1]; if (d[2] > 0) p %= d[2]; return base + d[0] * p; }",
        "int gl_loop(int phase, int64_t n, int until, int64_t *taken, char **ib, "
        "const int64_t *id, char **ob, const int64_t *od, int64_t *oshape) {",
        f"char *outs[{max(n_out, 1)}]; int status = 0; int64_t t = 0;",
        "for (; t < n; t++) {",
        f"for (int k = 0; k < {n_out}; k++) outs[k] = gl_at(ob[k], od + 3 * k, t);",
        f"status = gl_run({call});",
        "if (status || phase == 0) break;",
        stop,
        "}",
        "*taken = t; return status;",
        "}"])
    cdef = ("int gl_loop(int phase, int64_t n, int until, int64_t *taken, char **ib, "
            "const int64_t *id, char **ob, const int64_t *od, int64_t *oshape);")
    return entry, cdef


def _scalar_entry(fgraph, w: Writer):
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
