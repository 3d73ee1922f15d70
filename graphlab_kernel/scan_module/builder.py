"""`scan`: Theano's loop construct, building one Scan node from a Python step function."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphlab_kernel.gof.graph import Constant, Variable, clone_replace, graph_inputs
from graphlab_kernel.scan_module.op import InnerGraph, Scan, _extent
from graphlab_kernel.tensor.type import INT_DTYPES, TensorType
from graphlab_kernel.tensor.var import TensorVariable, as_tensor_variable


def scan(fn: Callable, sequences=None, outputs_info=None, non_sequences=None, n_steps=None,
         truncate_gradient: int = -1, go_backwards: bool = False, *, mode=None,
         name: str | None = None, strict: bool = False, return_list: bool = False):
    """Loop `fn` over steps, as Theano's `theano.scan`; return `(outputs, updates)`.

    - `sequences`: tensors iterated over their first axis, or dicts
      `{'input': x, 'taps': [-1, 0, 1]}` (tap k gives `x[t + k]`; the default taps are [0]);
    - `outputs_info`: one entry per output of `fn`: None for an output that is not fed back,
      an initial value (the output's previous value, tap -1), or a dict
      `{'initial': x0, 'taps': [-2, -1]}` whose `x0` holds one row per past value, oldest first;
    - `non_sequences`: passed to every step unchanged;
    - `n_steps`: the number of steps (an int or an integer scalar); by default as many as the
      shortest sequence gives (as in Theano); a sequence shorter than n_steps needs is an error;
    - `go_backwards`: iterate over the sequences from their end;
    - `truncate_gradient`: backpropagate through at most that many steps (-1: all of them);
    - `mode`: how to compile the loop body (by default as `function` does: optimized, in C when
      available); `name` labels the loop in printouts; `strict`: refuse variables that `fn`
      uses without their being listed in `non_sequences`.

    `fn` receives, in order, each sequence's taps, each fed-back output's taps, then the
    non-sequences, and returns its outputs: one variable, a list, or `(outputs, updates)` where
    `updates` maps shared variables to their value after the step. Shared variables (and any
    other variable fn uses) become inputs of the loop. Updates are supported: each updated
    shared variable is carried from step to step, and the returned `updates` dict gives its
    value after the last step (pass it to `function(..., updates=updates)`).

    `outputs` is the one output's variable of all steps (shape `(n_steps,) + step shape`), or
    a list of them when `fn` returns several (always a list when `return_list`). The loop body
    is compiled once, with graphlab's own `function`: in C, all the steps run in one call of it.
    The function around the loop runs on the NumPy backend (`f.fallback_reason` says so).
    """
    seqs = [_sequence(i, s) for i, s in enumerate(_as_list(sequences, "sequences"))]
    outs = [_output_info(j, o) for j, o in enumerate(_as_list(outputs_info, "outputs_info"))]
    nonseqs = [as_tensor_variable(v, f"non_sequences[{i}]")
               for i, v in enumerate(_as_list(non_sequences, "non_sequences"))]
    if not isinstance(truncate_gradient, (int, np.integer)) or truncate_gradient < -1:
        raise ValueError(f"scan: truncate_gradient must be -1 (backpropagate through every step) "
                         f"or a number of steps >= 0; got {truncate_gradient!r}")
    loop = Loop(seqs, outs, nonseqs, _steps(n_steps), bool(go_backwards),
                int(truncate_gradient), mode, name, strict)
    outputs, updates = loop.build(fn)
    if return_list or len(outputs) != 1:
        return list(outputs), updates
    return outputs[0], updates


def scan_keeping_last(fn: Callable, sequences: list, outputs_info: list, last_only: list[bool],
                      non_sequences: list, n_steps, name: str | None = None) -> list:
    """scan for graphlab's own loops (the gradient's): an output with `last_only` set is the
    value after the last step (or its initial value after zero steps) instead of all steps,
    so that an accumulator takes no memory per step. Returns the list of outputs."""
    seqs = [_sequence(i, s) for i, s in enumerate(sequences)]
    outs = [_output_info(j, o) for j, o in enumerate(outputs_info)]
    for o, last in zip(outs, last_only):
        o.last_only = bool(last)
    nonseqs = [as_tensor_variable(v, f"non_sequences[{i}]") for i, v in enumerate(non_sequences)]
    loop = Loop(seqs, outs, nonseqs, _steps(n_steps), name=name, prune_sequences=True)
    outputs, updates = loop.build(fn)
    assert not updates, "graphlab's own loops update no shared variable"
    return outputs


@dataclass
class SequenceArg:
    """One of scan's sequences: the tensor and the taps fn reads."""

    label: str
    input: TensorVariable
    taps: list[int]
    stem: str = "seq"  # what its placeholders are called: stem[t], stem[t+1], ...


@dataclass
class OutputArg:
    """One of outputs_info: the initial value (None if not fed back) and its taps."""

    label: str
    initial: TensorVariable | None
    taps: list[int]
    # the initial value is one step's value (tap -1 alone, Theano's convention), not a stack
    single: bool = False
    last_only: bool = False
    stem: str = "out"


@dataclass
class Loop:
    """scan's arguments, checked, and how to build the Scan node from them."""

    seqs: list[SequenceArg]
    outs: list[OutputArg]
    nonseqs: list[TensorVariable]
    n_steps: TensorVariable | None
    go_backwards: bool = False
    truncate_gradient: int = -1
    mode: Any = None
    name: str | None = None
    strict: bool = False
    prune_sequences: bool = False

    def build(self, fn: Callable) -> tuple[list[TensorVariable], dict]:
        """Call fn on placeholders, cut its graph into a loop body, apply a Scan node."""
        if not self.seqs and self.n_steps is None:
            raise ValueError("scan needs sequences or n_steps to know how many steps to take")
        relaxed: dict[int, TensorType] = {}
        for _ in range(2):  # a second time if an initial value's type was too narrow
            seq_rows = [[self._seq_placeholder(s, k) for k in s.taps] for s in self.seqs]
            out_taps = [[self._tap_placeholder(o, k, relaxed.get(j)) for k in o.taps]
                        for j, o in enumerate(self.outs)]
            args = [v for rows in seq_rows for v in rows] + [v for taps in out_taps
                                                            for v in taps] + self.nonseqs
            returned, condition = _until_of(fn(*args))
            results, updates = _outputs_and_updates(returned)
            if not results and not updates:
                raise ValueError("scan: fn returned no output and no update; it must return the "
                                 "step's output(s), or updates of shared variables, or both")
            results = self._check_count(results)
            too_narrow = self._too_narrow(out_taps, results)
            if not too_narrow:
                break
            relaxed.update(too_narrow)
        return self._apply(seq_rows, out_taps, results, updates, condition)

    # -- placeholders ----------------------------------------------------------------------------

    def _seq_placeholder(self, s: SequenceArg, k: int) -> TensorVariable:
        row = TensorType(s.input.dtype, s.input.broadcastable[1:])
        return row(_tap_name(s.stem, k))

    def _tap_placeholder(self, o: OutputArg, k: int, relaxed: TensorType | None):
        init = o.initial
        row = init.type if o.single else TensorType(init.dtype, init.broadcastable[1:])
        return (relaxed or row)(_tap_name(o.stem, k))

    # -- what fn returned ------------------------------------------------------------------------

    def _check_count(self, results: list) -> list[TensorVariable]:
        if self.outs and len(results) != len(self.outs):
            raise ValueError(f"scan: fn returned {len(results)} output(s) but outputs_info has "
                             f"{len(self.outs)} entr{'y' if len(self.outs) == 1 else 'ies'} "
                             "(one per output of fn: None for an output not fed back)")
        if not self.outs:
            self.outs = [OutputArg(f"output {j}", None, []) for j in range(len(results))]
        checked = []
        for j, r in enumerate(results):
            try:
                checked.append(as_tensor_variable(r, f"output {j} of fn"))
            except TypeError as exc:
                raise TypeError(f"scan: {exc}") from None
        return checked

    def _too_narrow(self, out_taps, results) -> dict[int, TensorType]:
        """Outputs whose initial value has a length-1 axis the step's result does not have:
        the placeholders are made again with that axis free. Other mismatches raise."""
        relax = {}
        for j, (o, taps, result) in enumerate(zip(self.outs, out_taps, results)):
            if not taps:
                continue
            state = taps[0].type
            if result.dtype != state.dtype or result.ndim != state.ndim:
                initial = "the initial value has" if o.single else "the initial value's rows have"
                raise TypeError(
                    f"scan: {o.label}: {initial} type {state} but the step returns "
                    f"type {result.type} (output {j} of fn); make them agree, e.g. cast the "
                    f"initial value with T.cast(x0, '{result.dtype}')")
            if any(s and not r for s, r in zip(state.broadcastable, result.broadcastable)):
                relax[j] = TensorType(state.dtype, tuple(
                    s and r for s, r in zip(state.broadcastable, result.broadcastable)))
        return relax

    # -- the node --------------------------------------------------------------------------------

    def _apply(self, seq_rows, out_taps, results, updates, condition=None
               ) -> tuple[list, dict]:
        from graphlab_kernel.compile.function import _default_updates
        n_user = len(results)
        # a random state the step reads advances at every step, as with an update fn returned
        steps_advance = _default_updates(results + [e for _, e in updates], updates, [], False)
        update_pairs = _check_updates(list(updates) + steps_advance)
        outs = list(self.outs)
        replace: dict[Variable, Variable] = {}
        for shared, expr in update_pairs:  # carried from step to step, like a fed-back output
            stem = shared.name or f"shared{len(outs)}"
            state = shared.type(_tap_name(stem, -1))
            outs.append(OutputArg(f"the update of {shared}", shared, [-1], single=True,
                                  last_only=True, stem=stem))
            out_taps.append([state])
            results.append(expr)
            replace[shared] = state
        stop = [] if condition is None else [condition]  # the body's last output
        body, outer_nonseqs, inner_nonseqs = self._cut(results + stop, replace, seq_rows,
                                                       out_taps)
        seqs = self.seqs
        if self.prune_sequences:  # those the body does not read (graphlab's own loops only)
            used = set(graph_inputs(body))
            kept = [i for i, rows in enumerate(seq_rows) if any(v in used for v in rows)]
            seqs, seq_rows = [seqs[i] for i in kept], [seq_rows[i] for i in kept]
        placeholders = [v for rows in seq_rows for v in rows] + [v for taps in out_taps
                                                                for v in taps]
        op = self._op(InnerGraph(placeholders + inner_nonseqs, body), seqs, outs, bool(stop))
        n_steps = self.n_steps if self.n_steps is not None else self._shortest()
        node_outputs = op.make_node(
            _int64(n_steps), *[s.input[::-1] if self.go_backwards else s.input for s in seqs],
            *[o.initial.dimshuffle("x", *range(o.initial.ndim)) if o.single else o.initial
              for o in outs if o.taps],
            *outer_nonseqs).outputs
        new_values = {shared: node_outputs[n_user + i]
                      for i, (shared, _) in enumerate(update_pairs)}
        return node_outputs[:n_user], new_values

    def _cut(self, results, replace, seq_rows, out_taps) -> tuple[list, list, list]:
        """The loop body: fn's results with the non-sequences, and every other variable from
        outside that fn used (shared variables included), replaced by placeholders. Returns
        the body's outputs and the non-sequences, outer and inner (unused ones left out)."""
        explicit = []
        for v in self.nonseqs:
            if v in replace or isinstance(v, Constant) or v in explicit:
                continue
            explicit.append(v)
            replace[v] = v.type(v.name or f"non_seq{len(explicit) - 1}")
        body, _ = clone_replace(results, replace)
        used = set(graph_inputs(body))
        explicit = [v for v in explicit if replace[v] in used]
        known = {v for rows in seq_rows + out_taps for v in rows} | {replace[v] for v in explicit}
        implicit = [v for v in graph_inputs(body) if v not in known and not isinstance(v, Constant)]
        if implicit and self.strict:
            raise ValueError(f"scan(strict=True): fn uses {', '.join(map(str, implicit))}, "
                             "which is not among non_sequences")
        if implicit:
            more = {v: v.type(v.name or f"non_seq{len(explicit) + i}")
                    for i, v in enumerate(implicit)}
            body, _ = clone_replace(body, more)
            replace.update(more)
        outer = explicit + implicit
        return body, outer, [replace[v] for v in outer]

    def _shortest(self) -> TensorVariable:
        """The number of steps the shortest sequence gives (Theano's rule without n_steps)."""
        from graphlab_kernel.tensor.math import minimum
        steps = None
        for s in self.seqs:
            extent = _extent(s.taps)
            given = s.input.shape[0] - extent if extent else s.input.shape[0]
            steps = given if steps is None else minimum(steps, given)
        return steps

    def _op(self, inner: InnerGraph, seqs: list[SequenceArg], outs: list[OutputArg],
            until: bool = False) -> Scan:
        # going backwards over x with taps K is going forwards over x[::-1] with taps -K
        sign = -1 if self.go_backwards else 1
        return Scan(inner, [[sign * k for k in s.taps] for s in seqs],
                    [o.taps for o in outs], [o.last_only for o in outs],
                    steps_from_sequences=self.n_steps is None,
                    truncate_gradient=self.truncate_gradient, go_backwards=self.go_backwards,
                    mode=self.mode, name=self.name,
                    labels={"sequences": tuple(s.label for s in seqs),
                            "outputs": tuple(o.label for o in outs)}, until=until)


# -- argument checking -----------------------------------------------------------------------------


def _as_list(value, what: str) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, (Mapping, Variable)) or np.isscalar(value) or isinstance(value,
                                                                                  np.ndarray):
        return [value]
    raise TypeError(f"scan: {what} must be a variable, a dict or a list of them; got "
                    f"{type(value).__name__} {value!r}")


def _taps(value, label: str, default: list[int]) -> list[int]:
    if value is None:
        return list(default)
    taps = list(value) if isinstance(value, (list, tuple)) else [value]
    if not taps or not all(isinstance(k, (int, np.integer)) and not isinstance(k, bool)
                           for k in taps):
        raise TypeError(f"scan: the taps of {label} must be a non-empty list of integers; "
                        f"got {value!r}")
    if len(set(taps)) != len(taps):
        raise ValueError(f"scan: the taps of {label} repeat a value: {taps}")
    return [int(k) for k in taps]


def _sequence(i: int, s) -> SequenceArg:
    label = f"sequences[{i}]"
    taps = [0]
    if isinstance(s, Mapping):
        unknown = set(s) - {"input", "taps"}
        if unknown or "input" not in s:
            raise ValueError(f"scan: {label} must be a variable or a dict with the keys 'input' "
                             f"and (optionally) 'taps'; got keys {sorted(map(str, s))}")
        taps = _taps(s.get("taps"), label, [0])
        s = s["input"]
    x = as_tensor_variable(s, label)
    if x.ndim == 0:
        raise TypeError(f"scan: {label} ({x}) is a scalar; scan iterates over the first axis of "
                        "a sequence")
    return SequenceArg(f"{label} ({x}{', taps ' + str(taps) if taps != [0] else ''})", x, taps,
                       stem=x.name or f"seq{i}")


def _output_info(j: int, o) -> OutputArg:
    label = f"outputs_info[{j}]"
    if o is None:
        return OutputArg(f"output {j}", None, [])
    if isinstance(o, Mapping):
        unknown = set(o) - {"initial", "taps"}
        if unknown:
            raise ValueError(f"scan: {label} may have the keys 'initial' and 'taps'; got "
                             f"{sorted(map(str, unknown))}")
        initial = o.get("initial")
        if initial is None:
            if o.get("taps") is not None:
                raise ValueError(f"scan: {label} has taps but no initial value; an output read "
                                 "at past steps needs 'initial'")
            return OutputArg(f"output {j}", None, [])
        taps = _taps(o.get("taps"), label, [-1])
    else:
        initial, taps = o, [-1]
    if any(k >= 0 for k in taps):
        raise ValueError(f"scan: the taps of {label} must be negative (past values of the "
                         f"output); got {taps}")
    x0 = as_tensor_variable(initial, f"the initial value of {label}")
    single = taps == [-1]
    if not single and x0.ndim == 0:
        raise TypeError(f"scan: {label} reads taps {taps}, so its initial value needs one row "
                        f"per past value ({-min(taps)}); got the scalar {x0}")
    return OutputArg(f"{label} ({x0})", x0, taps, single=single, stem=x0.name or f"out{j}")


def _steps(n_steps) -> TensorVariable | None:
    if n_steps is None:
        return None
    if isinstance(n_steps, (bool, np.bool_)):
        raise TypeError(f"scan: n_steps must be an integer; got {n_steps!r}")
    n = as_tensor_variable(n_steps, "n_steps")
    if n.ndim != 0 or n.dtype not in INT_DTYPES:
        raise TypeError(f"scan: n_steps must be an integer scalar; got {n} ({n.type})")
    if isinstance(n, Constant) and int(n.data) < 0:
        raise ValueError(f"scan: n_steps must be zero or more; got {int(n.data)} (to loop from "
                         "the end of the sequences, pass go_backwards=True)")
    return n


def _int64(n: TensorVariable) -> TensorVariable:
    from graphlab_kernel.tensor.math import cast
    return n if n.dtype == "int64" else cast(n, "int64")


def _tap_name(name: str, k: int) -> str:
    return f"{name}[t]" if k == 0 else f"{name}[t{k:+d}]"


class until:  # noqa: N801 (Theano's name)
    """What a step function returns, last, to stop its loop after the step where `condition`
    (a scalar) holds, as Theano's `theano.scan_module.until`: `return value, until(value > 10)`
    or `return value, updates, until(...)`. The loop then runs at most n_steps steps (or as
    many as its sequences give), and its outputs hold the steps it took."""

    def __init__(self, condition):
        self.condition = as_tensor_variable(condition, "the condition of until")
        if self.condition.ndim != 0:
            raise TypeError(f"until needs a scalar condition; got {self.condition} "
                            f"({self.condition.type})")

    def __repr__(self) -> str:
        return f"until({self.condition})"


def _until_of(returned) -> tuple:
    """fn's result without its `until` (last), and the until's condition (or None)."""
    if isinstance(returned, until):
        return None, returned.condition
    if isinstance(returned, (tuple, list)) and returned and isinstance(returned[-1], until):
        rest = returned[:-1]
        rest = rest[0] if len(rest) == 1 else tuple(rest)
        return rest, returned[-1].condition
    return returned, None


def _outputs_and_updates(returned) -> tuple[list, list]:
    """fn's result as (outputs, update pairs): one variable, a list, a dict of updates, or a
    pair of those in either order (as Theano takes them)."""
    def is_updates(v) -> bool:
        return isinstance(v, Mapping) or (
            isinstance(v, (list, tuple)) and len(v) > 0 and all(
                isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], Variable) and
                hasattr(p[0], "get_value") for p in v))

    if returned is None:
        return [], []
    if isinstance(returned, tuple) and len(returned) == 2 and any(map(is_updates, returned)):
        first, second = returned
        outputs, updates = (second, first) if is_updates(first) else (first, second)
        if not is_updates(updates) and updates not in (None, [], ()):
            raise TypeError("scan: fn returned a pair whose second part is not a dict of updates")
        return _output_list(outputs), _update_list(updates)
    if is_updates(returned):
        return [], _update_list(returned)
    return _output_list(returned), []


def _output_list(outputs) -> list:
    if outputs is None:
        return []
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def _update_list(updates) -> list:
    if not updates:
        return []
    return list(updates.items()) if isinstance(updates, Mapping) else list(updates)


def _check_updates(pairs) -> list[tuple]:
    from graphlab_kernel.compile.function import _check_updates as check
    return check(pairs, whose="scan: fn's ")
