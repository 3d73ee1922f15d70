"""The Scan op: a loop whose body is a graph, compiled on its own. In C, the body's module has
an entry running every step in one call (`_c_loop`); on NumPy, Python calls it once per step.

A Scan node's inputs are, in order: the number of steps (an int64 scalar), the sequences, one
initial buffer per output fed back into the loop, and the non-sequences. Its inner graph (the
body of the loop) takes, in order: one row per sequence tap, one value per output tap, and the
non-sequences; it returns one value per output.

At step t, sequence tap k reads row `t + k - min(taps, 0)` of its sequence, and output tap k
(negative) reads the value that output had k steps earlier: the first steps read it from the
initial buffer, whose row 0 is the oldest value (Theano's convention). `scan()` in builder.py
turns Theano's arguments into this form; the gradient (backward.py) is another Scan.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graphlab_kernel.gof.graph import Apply, Constant, Variable, toposort
from graphlab_kernel.gof.op import Op
from graphlab_kernel.tensor.type import TensorType
from graphlab_kernel.tensor.var import TensorVariable

# Why a function holding a Scan runs on the NumPy backend (it becomes f.fallback_reason).
IN_PYTHON = ("scan compiles its loop body on its own (in C when the C backend is available, all "
             "the steps then running in one call); in the C of the function around the loop, "
             "the loop is a call back into Python")


class InnerGraph:
    """The body of a loop: placeholder inputs -> outputs, compared by structure.

    Two inner graphs are equal when they apply equal ops, in the same arrangement, to inputs of
    the same types (placeholder names do not count), so identical loops merge.
    """

    def __init__(self, inputs: Sequence[Variable], outputs: Sequence[Variable]):
        self.inputs = tuple(inputs)
        self.outputs = tuple(outputs)
        self._key = _structure(self.inputs, self.outputs)
        self._hash = hash(self._key)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, InnerGraph) and self._hash == other._hash
                and (self is other or self._key == other._key))

    def __hash__(self) -> int:
        return self._hash

    def nodes(self) -> list[Apply]:
        """The inner graph's nodes, each after those it reads."""
        return toposort(self.outputs, blockers=self.inputs)

    def __str__(self) -> str:
        return (f"InnerGraph({len(self.inputs)} inputs -> {len(self.outputs)} outputs, "
                f"{len(self.nodes())} nodes)")

    __repr__ = __str__


def _structure(inputs: tuple, outputs: tuple) -> tuple:
    """A hashable description of the graph, independent of variable identities."""
    ref: dict[Variable, tuple] = {v: ("input", i) for i, v in enumerate(inputs)}

    def refer(v: Variable) -> tuple:
        if v in ref:
            return ref[v]
        if isinstance(v, Constant):
            return ("constant", v.signature())
        raise ValueError(f"the inner graph of a scan depends on {v} ({v.type}), which is not "
                         "one of its inputs")

    entries = []
    for node in toposort(outputs, blockers=inputs):
        entries.append((node.op, tuple(refer(v) for v in node.inputs),
                        tuple(o.type for o in node.outputs)))
        for k, out in enumerate(node.outputs):
            ref[out] = ("node", len(entries) - 1, k)
    return (tuple(v.type for v in inputs), tuple(entries), tuple(refer(o) for o in outputs))


class Scan(Op):
    """A loop over steps; its body is the graph `inner` (see the module docstring).

    `seq_taps[i]` are the taps of sequence i; `out_taps[j]` the (negative) taps by which output j
    is fed back, () for an output that is not; `last_only[j]` makes output j the value after the
    last step instead of the values of all steps. `steps_from_sequences` says that the number
    of steps input is the fewest steps a sequence gives (as Theano's scan without n_steps).
    """

    __props__ = ("inner", "seq_taps", "out_taps", "last_only", "steps_from_sequences",
                 "truncate_gradient", "go_backwards", "mode", "name", "until")
    in_python = IN_PYTHON  # on the C backend, a call back into Python (codegen._python_node)

    def __init__(self, inner: InnerGraph, seq_taps, out_taps, last_only=None,
                 steps_from_sequences: bool = False, truncate_gradient: int = -1,
                 go_backwards: bool = False, mode: Any = None, name: str | None = None,
                 labels: dict[str, tuple[str, ...]] | None = None, until: bool = False):
        self.inner = inner
        # a while loop: the body's last output is a condition that stops the loop after the
        # step where it holds (n_steps is then the most steps it takes)
        self.until = bool(until)
        self.seq_taps = tuple(tuple(int(k) for k in taps) for taps in seq_taps)
        self.out_taps = tuple(tuple(int(k) for k in taps) for taps in out_taps)
        self.last_only = tuple(bool(b) for b in (last_only or [False] * len(self.out_taps)))
        self.steps_from_sequences = bool(steps_from_sequences)
        self.truncate_gradient = int(truncate_gradient)
        self.go_backwards = bool(go_backwards)
        self.mode = mode
        self.name = name
        # How error messages name the user's arguments; not a prop (it changes no value).
        labels = labels or {}
        self.seq_labels = labels.get("sequences") or tuple(
            f"sequences[{i}]" for i in range(len(self.seq_taps)))
        self.out_labels = labels.get("outputs") or tuple(
            f"output {j}" for j in range(len(self.out_taps)))
        self._functions: dict[str | None, Any] = {}  # the compiled body, by backend
        self._check_layout()

    # -- layout ----------------------------------------------------------------------------------

    @property
    def n_seqs(self) -> int:
        return len(self.seq_taps)

    @property
    def recurrent(self) -> list[int]:
        """The outputs fed back into the loop, in order (each has an initial buffer)."""
        return [j for j, taps in enumerate(self.out_taps) if taps]

    @property
    def n_nonseqs(self) -> int:
        return len(self.inner.inputs) - sum(map(len, self.seq_taps)) - sum(map(len, self.out_taps))

    def split_inputs(self, inputs: Sequence) -> tuple[Any, list, list, list]:
        """(n_steps, sequences, initial buffers, non-sequences) from a node's inputs."""
        s, r = self.n_seqs, len(self.recurrent)
        return inputs[0], list(inputs[1:1 + s]), list(inputs[1 + s:1 + s + r]), \
            list(inputs[1 + s + r:])

    def split_inner_inputs(self) -> tuple[list[list], list[list], list]:
        """The inner inputs as (per sequence, its tap rows), (per output, its tap values) and
        the non-sequences; outputs not fed back get an empty list."""
        rest = list(self.inner.inputs)
        seqs, outs = [], []
        for taps in self.seq_taps:
            seqs.append(rest[:len(taps)])
            rest = rest[len(taps):]
        for taps in self.out_taps:
            outs.append(rest[:len(taps)])
            rest = rest[len(taps):]
        return seqs, outs, rest

    def _check_layout(self) -> None:
        if len(self.out_taps) + self.until != len(self.inner.outputs) or len(
                self.last_only) != len(self.out_taps):
            raise ValueError("Scan: one entry of out_taps and last_only per inner output (and "
                             "the stopping condition last, for a loop with `until`)")
        if self.n_nonseqs < 0:
            raise ValueError("Scan: the inner graph has fewer inputs than the taps need")
        for taps, last in zip(self.out_taps, self.last_only):
            if any(k >= 0 for k in taps):
                raise ValueError(f"Scan: output taps must be negative; got {list(taps)}")
            if last and not taps:
                raise ValueError("Scan: only an output fed back can keep its last value only")
        for taps in self.seq_taps:
            if not taps:
                raise ValueError("Scan: every sequence needs at least one tap")

    def state_type(self, j: int) -> TensorType:
        """The type of one step's value of output j."""
        return self.inner.outputs[j].type if not self.out_taps[j] else \
            self.split_inner_inputs()[1][j][0].type

    # -- the node --------------------------------------------------------------------------------

    def make_node(self, n_steps, *inputs) -> Apply:
        from graphlab_kernel.tensor.var import as_tensor_variable
        n_steps = as_tensor_variable(n_steps, "n_steps of scan")
        if n_steps.type != TensorType("int64", ()):
            raise TypeError(f"Scan: the number of steps must be an int64 scalar; got {n_steps.type}")
        expected = self.n_seqs + len(self.recurrent) + self.n_nonseqs
        if len(inputs) != expected:
            raise ValueError(f"Scan: expected {expected} inputs after n_steps; got {len(inputs)}")
        inputs = [as_tensor_variable(v, "input of scan") for v in inputs]
        _, seqs, inits, nonseqs = self.split_inputs([n_steps, *inputs])
        seq_rows, tap_values, inner_nonseqs = self.split_inner_inputs()
        for label, x, rows in zip(self.seq_labels, seqs, seq_rows):
            _check_rows(label, "sequence", x, rows[0].type)
        for j, init in zip(self.recurrent, inits):
            _check_rows(self.out_labels[j], "initial buffer", init, tap_values[j][0].type)
        for i, (outer, inner) in enumerate(zip(nonseqs, inner_nonseqs)):
            if outer.type != inner.type:
                raise TypeError(f"Scan: non-sequence {i} ({outer}) is {outer.type}; the loop "
                                f"body expects {inner.type}")
        outputs = []
        for j, taps in enumerate(self.out_taps):
            step = self.state_type(j)
            _check_step_result(self.out_labels[j], self.inner.outputs[j].type, step)
            outer = step if self.last_only[j] else TensorType(step.dtype,
                                                              (False,) + step.broadcastable)
            outputs.append(outer())
        return Apply(self, [n_steps, *inputs], outputs)

    def __str__(self) -> str:
        flags = (", backwards" if self.go_backwards else "") + (", until" if self.until else "")
        return f"Scan{{{self.name or 'scan_fn'}{flags}}}"

    # -- running ---------------------------------------------------------------------------------

    def body(self, backend: str | None = None):
        """The loop body compiled with graphlab's own `function` (once per op and backend)."""
        from graphlab_kernel.compile.function import function
        from graphlab_kernel.compile.mode import get_mode
        from graphlab_kernel.backend import get_backend
        from graphlab_kernel.backend.c import CBackend
        mode = get_mode(self.mode)
        backend = mode.backend or backend
        if backend not in self._functions:
            chosen = get_backend(backend)
            if isinstance(chosen, CBackend):  # with gl_loop: all the steps in one call
                chosen = CBackend(loop_entry=True)
            self._functions[backend] = function(
                list(self.inner.inputs), list(self.inner.outputs), mode=mode, backend=chosen,
                name=self.name or "scan_fn", on_unused_input="ignore")
        return self._functions[backend]

    def make_perform(self, node: Apply, backend: str | None):
        """The perform a backend runs: the body compiled now, for `backend`."""
        body = self.body(backend)
        return lambda node, inputs: self._loop(node, inputs, body)

    def perform(self, node: Apply, inputs: Sequence[Any]) -> list[Any]:
        return self._loop(node, inputs, self.body())

    def _loop(self, node: Apply, inputs: Sequence[Any], body) -> list[Any]:
        n, seqs, inits, nonseqs = self.split_inputs(inputs)
        n = self._check_steps(int(n), seqs)
        c_loop = getattr(body._run, "loop", None)  # the body compiled to C, with gl_loop
        if c_loop is not None and n > 0:
            return self._c_loop(node, n, seqs, inits, nonseqs, c_loop)
        reads = []  # per inner input before the non-sequences: step -> the value it reads
        for x, taps in zip(seqs, self.seq_taps):
            low = min(min(taps), 0)
            reads.extend(_row_reader(x, k - low) for k in taps)
        states = {}
        for j, init in zip(self.recurrent, inits):
            states[j] = _State(self, j, init, n, node.outputs[j].type.dtype)
            reads.extend(states[j].reads())
        mapped = [None] * len(self.out_taps)  # outputs not fed back: all their steps
        taken = n
        for t in range(n):
            args = [read(t) for read in reads]
            args.extend(nonseqs)
            try:
                results = body(*args)
            except Exception as exc:  # the same error, saying at which step of which loop
                raise _at_step(exc, t, self) from None
            for j, value in enumerate(results[:len(self.out_taps)]):
                if j in states:
                    states[j].write(t, value)
                else:
                    mapped[j] = _store(self, j, t, n, value, mapped[j], node)
            if self.until and results[-1]:
                taken = t + 1
                break
        outputs = []
        for j in range(len(self.out_taps)):
            if j in states:
                outputs.append(states[j].result(taken))
            else:
                outputs.append(mapped[j][:taken] if mapped[j] is not None
                               else _empty(node.outputs[j]))
        return outputs

    def _c_loop(self, node: Apply, n: int, seqs, inits, nonseqs, loop) -> list[Any]:
        """All n steps (n > 0) in one call of the body's gl_loop: each step reads its inputs
        from rows of the sequences and of the outputs' buffers, and writes its outputs into
        theirs, as _loop does in Python (codegen._loop_entry says how rows are described)."""
        from graphlab_kernel.backend.c.runtime import aligned, status_error
        inner = self.inner.inputs
        seqs = [aligned(x) for x in seqs]
        nonseqs = [aligned(x) for x in nonseqs]
        ins = []  # per inner input: (array, step, offset, wrap)
        for label, x, taps in zip(self.seq_labels, seqs, self.seq_taps):
            if len(x) < n + _extent(taps):  # C reads rows unchecked: every one must be there
                raise ValueError(f"scan: {label} has {len(x)} row(s); {n} step(s) need "
                                 f"{n + _extent(taps)}")
            low = min(min(taps), 0)
            ins.extend((x, x.strides[0], k - low, 0) for k in taps)
        states = {}
        for j, init in zip(self.recurrent, inits):
            states[j] = state = _State(self, j, init, n, node.outputs[j].type.dtype)
            ins.extend(state.c_reads())
        ins.extend((x, 0, 0, 0) for x in nonseqs)
        for var, (x, step, _, _) in zip(inner, ins):
            _check_row(var, x[0] if step else x)
        results = self.inner.outputs
        n_out = len(self.out_taps)
        scratch = [np.empty((1,) + (1,) * v.type.ndim, dtype=v.type.dtype) for v in results]
        oshape = [0] * sum(v.type.ndim for v in results)
        outs = [(a, 0, 0, 0) for a in scratch]
        status, _, message = loop(0, n, self.until, ins, outs, oshape)  # step 0's shapes
        if status > 0:
            raise _at_step(status_error(status, message), 0, self)
        shapes = _split_shapes(oshape, results)
        mapped = {}
        for j, shape in enumerate(shapes[:n_out]):
            if j in states:
                states[j].check(0, shape)
                outs[j] = states[j].c_write()
            else:
                mapped[j] = np.empty((n,) + shape, dtype=results[j].type.dtype)
                outs[j] = (mapped[j], mapped[j].strides[0], 0, 0)
        if self.until:
            outs[-1] = (np.empty((), dtype=results[-1].type.dtype), 0, 0, 0)
        expected = list(oshape)
        status, taken, message = loop(1, n, self.until, ins, outs, oshape)
        if status == -1:  # step `taken` returned other shapes than step 0's
            for j, (real, shape) in enumerate(zip(_split_shapes(oshape, results), shapes)):
                if real != shape and j in states:
                    states[j].check(taken, real)
                elif real != shape:
                    raise ValueError(_shape_changed(self, j, taken, real, shape))
            raise ValueError(f"scan: at step {taken}, the loop body's outputs have shapes "
                             f"{oshape}, but {expected} at step 0")
        if status:
            raise _at_step(status_error(status, message), taken, self)
        outputs = []
        for j in range(n_out):
            if j in states:
                outputs.append(states[j].result(taken))
            else:
                outputs.append(mapped[j][:taken])
        return outputs

    def _check_steps(self, n: int, seqs: Sequence[np.ndarray]) -> int:
        """n, checked against the sequences' lengths; raise ValueError naming the argument."""
        available = [len(x) - _extent(taps) for x, taps in zip(seqs, self.seq_taps)]
        for i, (x, steps) in enumerate(zip(seqs, available)):
            if steps < 0 and self.steps_from_sequences:
                raise ValueError(
                    f"scan: {self.seq_labels[i]} has {len(x)} row(s): too few for its taps, "
                    f"which reach {_extent(self.seq_taps[i])} rows beyond the steps")
        if self.steps_from_sequences:  # n is the fewest steps a sequence gives
            return n
        if n < 0:
            raise ValueError(f"scan: n_steps must be zero or more; got {n} (to loop from the end "
                             "of the sequences, pass go_backwards=True)")
        for i, (x, steps) in enumerate(zip(seqs, available)):
            if steps < n:
                need = n + _extent(self.seq_taps[i])
                raise ValueError(f"scan: n_steps is {n} but {self.seq_labels[i]} has {len(x)} "
                                 f"row(s); {n} step(s) need {need}")
        return n

    # -- gradient and printing -------------------------------------------------------------------

    def grad(self, inputs, outputs, output_grads):
        """Backpropagation through time: another Scan, running backwards (see backward.py)."""
        from graphlab_kernel.scan_module.backward import scan_grad
        return scan_grad(self, inputs, outputs, output_grads)

    def pp(self, node: Apply, args: Sequence[str]) -> str:
        from graphlab_kernel.printing import pp
        n, seqs, inits, nonseqs = self.split_inputs(args)
        names = ", ".join(str(v) for v in self.inner.inputs)
        body = "[" + ", ".join(pp(o) for o in self.inner.outputs[:len(self.out_taps)]) + "]"
        if self.until:
            body += f", until({pp(self.inner.outputs[-1])})"
        parts = [f"n_steps={n}"]
        for what, values in (("sequences", seqs), ("outputs_info", inits),
                             ("non_sequences", nonseqs)):
            if values:
                parts.append(f"{what}=[{', '.join(values)}]")
        return f"{self}(lambda {names}: {body}, {', '.join(parts)})"

    @property
    def inner_outputs(self) -> tuple[Variable, ...]:
        """The loop body's outputs (debugprint prints their graph under the node)."""
        return self.inner.outputs


class _State:
    """The values of one output fed back into the loop, as the steps compute them.

    Its buffer holds positions: the initial values at 0 .. depth - 1 (oldest first), then step
    t's value at depth + t; tap k reads position depth + t + k. An output whose last value alone
    is kept has a ring of depth + 1 rows (position p in row p % (depth + 1)), so that a step
    never writes the row one of its taps reads, as the C loop computes into the row in place."""

    def __init__(self, op: Scan, j: int, init: np.ndarray, n: int, dtype: str):
        self.label = op.out_labels[j]
        self.taps = op.out_taps[j]
        self.depth = depth = -min(self.taps)  # how many past values the body reads
        if init.shape[0] < depth:
            raise ValueError(f"scan: {self.label} starts from {init.shape[0]} value(s), but its "
                             f"taps {list(self.taps)} read {depth} value(s) before the first step")
        self.last_only = op.last_only[j]
        self.wrap = depth + 1 if self.last_only else 0  # 0: every value is kept
        self.buffer = np.empty((self.wrap or depth + n,) + init.shape[1:], dtype=dtype)
        self.buffer[:depth] = init[:depth]
        self.n = n

    def row(self, position: int) -> int:
        return position % self.wrap if self.wrap else position

    def reads(self) -> list:
        """Per tap, step -> the value it reads."""
        return [_tap_reader(self, k) for k in self.taps]

    def c_reads(self) -> list[tuple]:
        """Per tap, how the C loop reads it: (array, step, offset, wrap); see make_loop."""
        b = self.buffer
        return [(b, b.strides[0], self.depth + k, self.wrap) for k in self.taps]

    def c_write(self) -> tuple:
        """Where the C loop writes each step's value, as c_reads."""
        return (self.buffer, self.buffer.strides[0], self.depth, self.wrap)

    def check(self, t: int, shape: tuple) -> None:
        if shape != self.buffer.shape[1:]:
            raise ValueError(f"scan: at step {t}, {self.label} has shape {shape}, but its "
                             f"previous value has shape {self.buffer.shape[1:]}; a value fed "
                             "back must keep its shape")

    def write(self, t: int, value: np.ndarray) -> None:
        self.check(t, value.shape)
        self.buffer[self.row(self.depth + t)] = value

    def result(self, taken: int) -> np.ndarray:
        """The value after step `taken` - 1 (or the values of the steps taken)."""
        if self.last_only:
            return self.buffer[self.row(self.depth + taken - 1), ...].copy()
        return self.buffer[self.depth:self.depth + taken]


def _at_step(exc: Exception, t: int, op: Scan) -> Exception:
    """`exc` with its message extended by the step (or the nearest base class taking one)."""
    from graphlab_kernel.backend.numpy_backend import retold
    return retold(exc, f"{exc}\n  at step {t} of the loop {op}")


def _row_reader(array: np.ndarray, offset: int):
    """step t -> row t + offset of `array`, as an array (a view; 0-d for a vector's row)."""
    return lambda t: array[t + offset, ...]


def _tap_reader(state: _State, tap: int):
    """step t -> the value a state's tap reads at step t (a view of its row)."""
    buffer, row, base = state.buffer, state.row, state.depth + tap
    return lambda t: buffer[row(base + t), ...]


def _check_row(var: Variable, row: np.ndarray) -> None:
    """What the C loop passes as `var` must be of its dtype and rank, with length 1 where its
    type is broadcastable, as a compiled function checks its arguments."""
    t = var.type
    if row.dtype != t.dtype or row.ndim != t.ndim or any(
            b and length != 1 for b, length in zip(t.broadcastable, row.shape)):
        raise TypeError(f"scan: the loop body's input {var} is {t}; got an array of {row.dtype} "
                        f"with shape {row.shape}")


def _split_shapes(flat: list[int], variables) -> list[tuple]:
    """The shapes of `variables`, from their lengths listed one after another."""
    shapes, k = [], 0
    for v in variables:
        shapes.append(tuple(flat[k:k + v.type.ndim]))
        k += v.type.ndim
    return shapes


def _shape_changed(op: Scan, j: int, t: int, shape: tuple, first: tuple) -> str:
    return (f"scan: at step {t}, {op.out_labels[j]} has shape {shape}, but {first} at step 0; "
            "each step must return the same shape")


def _store(op: Scan, j: int, t: int, n: int, value: np.ndarray, stacked, node: Apply):
    """Write step t's value of output j (not fed back) into its stack of all steps."""
    if stacked is None:
        stacked = np.empty((n,) + value.shape, dtype=node.outputs[j].type.dtype)
    elif value.shape != stacked.shape[1:]:
        raise ValueError(_shape_changed(op, j, t, value.shape, stacked.shape[1:]))
    stacked[t] = value
    return stacked


def _empty(var: Variable) -> np.ndarray:
    """The value of an output of zero steps whose step shape is unknown: length 0 (1 where
    the type says the axis is broadcastable)."""
    bcast = var.type.broadcastable
    return np.empty((0,) + tuple(1 if b else 0 for b in bcast[1:]), dtype=var.type.dtype)


def _extent(taps: Sequence[int]) -> int:
    """How many rows beyond the number of steps a sequence read with `taps` needs."""
    return max(max(taps), 0) - min(min(taps), 0)


def _check_rows(label: str, what: str, outer: TensorVariable, row: TensorType) -> None:
    """The outer array's rows must have the inner type's dtype and rank (and be broadcastable
    where the inner type says they are)."""
    if outer.ndim != row.ndim + 1 or outer.dtype != row.dtype or any(
            inner and not o for inner, o in zip(row.broadcastable, outer.broadcastable[1:])):
        raise TypeError(f"Scan: the {what} of {label} is {outer.type}; its rows must be {row}")


def _check_step_result(label: str, result: TensorType, state: TensorType) -> None:
    if result.dtype != state.dtype or result.ndim != state.ndim or any(
            s and not r for s, r in zip(state.broadcastable, result.broadcastable)):
        raise TypeError(f"Scan: the loop body returns {result} for {label}, whose values are "
                        f"{state}")
