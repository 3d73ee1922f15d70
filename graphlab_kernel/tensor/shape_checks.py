"""Shape inference's checks: `CheckShapes`, the op that keeps an op's shape checks on the lengths
inferred for its result, and `Checks`, which the ops' `infer_shape` methods collect them with.

An op that can tell its outputs' shapes from its inputs' has a method

    infer_shape(node, input_shapes) -> per output, its lengths (ints or int64 scalars)

where `input_shapes[i]` lists the lengths of input i as int64 scalars (`x.shape[k]`, or the
constant 1 on an axis its type says is broadcastable), and the node's inputs are at hand for
values that set a length (alloc's lengths, a slice's bounds, reshape's target). It returns None
for a node whose shapes it cannot tell (a scalar op that may refuse some values). Ops whose
shapes depend on array values (nonzero) have no such method. The arithmetic on lengths is in
graphlab_kernel.tensor.lengths.

A length must fail where the op would: `Checks` collects the conditions the op checks, in the
order it checks them, each with the message it gives, and hangs them on every length it returns
(`CheckShapes` nodes, which pass the length through once their conditions hold); the returned
`Lengths` also carry them for the empty shape of a 0-d result. Conditions known when the graph
is built are left out, so `(x + x).shape` has no check at all.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphlab_kernel.gof.graph import Apply, Variable
from graphlab_kernel.gof.op import Op
from graphlab_kernel.tensor.lengths import entries, entry, eq, length, static
from graphlab_kernel.tensor.type import FLOAT_DTYPES, INT_DTYPES
from graphlab_kernel.tensor.var import as_tensor_variable, constant

__all__ = ["CheckShapes", "Checks", "Lengths"]

class CheckShapes(Op):
    """`value` itself (a view), once each of its `n_conditions` conditions holds; otherwise the
    error the op `source` raises for those shapes: a ValueError (an IndexError too, with
    `index_error`) whose message is `parts` with the values of the inputs after the conditions
    written between them. Inputs: value, the conditions (0-d), the values (0-d numbers)."""

    __props__ = ("source", "parts", "n_conditions", "index_error")
    view_map = {0: [0]}

    def __init__(self, source: str, parts: Sequence[str], n_conditions: int,
                 index_error: bool = False):
        self.source, self.parts = str(source), tuple(parts)
        self.n_conditions, self.index_error = int(n_conditions), bool(index_error)

    def __str__(self) -> str:
        return f"CheckShapes{{{self.source}}}"

    def make_node(self, value, *rest) -> Apply:
        value = as_tensor_variable(value, f"value of {self}")
        rest = [as_tensor_variable(v, f"input {i + 1} of {self}") for i, v in enumerate(rest)]
        if len(rest) != self.n_conditions + len(self.parts) - 1:
            raise TypeError(f"{self} takes {self.n_conditions} condition(s) and "
                            f"{len(self.parts) - 1} value(s) after the value; got {len(rest)}")
        for v in rest:
            if v.ndim != 0 or v.dtype not in ("bool", *INT_DTYPES, *FLOAT_DTYPES):
                raise TypeError(f"{self}: conditions and values must be numbers (0-d); got {v} "
                                f"({v.type})")
        return Apply(self, [value, *rest], [value.type()])

    def perform(self, node, inputs):
        value, *rest = inputs
        if not all(bool(c) for c in rest[:self.n_conditions]):
            kind = _IndexError() if self.index_error else ValueError
            raise kind(self.message(rest[self.n_conditions:]))
        return [value]

    def message(self, values: Sequence) -> str:
        """The error's text for these values."""
        text = [self.parts[0]]
        for v, part in zip(values, self.parts[1:]):
            v = np.asarray(v)
            text += [format(float(v), "g") if v.dtype.kind == "f" else str(int(v)), part]
        return f"{self.source}: {''.join(text)}"

    def grad(self, inputs, outputs, output_grads):
        return [output_grads[0]] + [None] * (len(inputs) - 1)

    def infer_shape(self, node, input_shapes):
        """The value's lengths, each behind the same check."""
        def guard(value):
            return self(value, *node.inputs[1:])
        return [Lengths([guard(length(n)) for n in input_shapes[0]], guard)]

    def pp(self, node, args: Sequence[str]) -> str:
        conditions = " and ".join(args[1:1 + self.n_conditions])
        return f"check({args[0]}, {conditions})"


def _IndexError():
    from graphlab_kernel.tensor.subtensor import IndexOutOfRangeError
    return IndexOutOfRangeError


class Lengths(list):
    """One output's lengths (ints or int64 scalars), each behind the checks computing the output
    makes; `guard(value)` puts another value behind them too (a 0-d output has no length to
    carry them, yet its shape, the empty one, must fail where computing it fails)."""

    def __init__(self, lengths=(), guard=None):
        super().__init__(lengths)
        self.guard = guard if guard is not None else _unguarded


def _unguarded(value):
    return value


def after_shapes(value: Variable, variables: Sequence[Variable], source: str) -> Variable:
    """`value`, once the shapes of `variables` are computed: whatever checks that takes (those
    of the ops computing them, once their shapes are inferred) are made first. The conditions
    themselves, a length at least 0, always hold."""
    if not variables:
        return value
    from graphlab_kernel.tensor import math as M
    from graphlab_kernel.tensor.shape import Shape, Shape_i
    conditions = [M.ge(Shape_i(0)(v), 0) if v.ndim else M.all(M.ge(Shape()(v), 0))
                  for v in variables]
    return CheckShapes(source, ("the shapes of its inputs are computed",),
                       len(conditions))(value, *conditions)


class Checks:
    """The checks an op makes on its inputs' shapes, in the order it makes them, each with the
    message it gives; `checked` hangs them all on a length (or any value)."""

    def __init__(self, op: Op):
        self.source = str(op)
        self.required: list[tuple[list, tuple[str, ...], list, bool]] = []

    def require(self, conditions: Sequence, *message, index_error: bool = False) -> None:
        """Fail with `message` (strings, ints, lengths and lists of lengths, which print as
        shapes) unless every condition holds. A condition is True or False when known while
        building the graph, else a 0-d boolean variable."""
        pending = [c for c in conditions if c is not True]
        if not pending:
            return
        pending = [constant(False, dtype="bool") if c is False else c for c in pending]
        parts, values = _message(message)
        self.required.append((pending, parts, values, index_error))

    def checked(self, value: Variable) -> Variable:
        """`value` behind every check required so far (the first one checked first)."""
        for conditions, parts, values, index_error in self.required:
            op = CheckShapes(self.source, parts, len(conditions), index_error)
            value = op(value, *conditions, *values)
        return value

    def apply(self, lengths: Sequence) -> Lengths:
        """Each length (an int or an int64 scalar) behind every check."""
        return Lengths([self.checked(length(n)) for n in lengths], self.checked)


def _message(pieces) -> tuple[tuple[str, ...], list[Variable]]:
    """(the text between the values, the values) of a message given as pieces."""
    parts, values = [""], []

    def add(piece) -> None:
        if isinstance(piece, str):
            parts[-1] += piece
        elif isinstance(piece, (list, tuple)):  # a shape
            parts[-1] += "("
            for k, n in enumerate(piece):
                add(n)
                parts[-1] += ", " if k + 1 < len(piece) else ("," if len(piece) == 1 else "")
            parts[-1] += ")"
        elif static(piece) is not None:
            parts[-1] += str(static(piece))
        else:
            values.append(piece)
            parts.append("")

    for piece in pieces:
        add(piece)
    return tuple(parts), values


def listed(shapes: Sequence[Sequence]) -> list:
    """Message pieces writing several shapes separated by commas."""
    pieces: list = []
    for k, s in enumerate(shapes):
        pieces += [", "] * bool(k) + [list(s)]
    return pieces


def vector_entries(checks: Checks, vector: Variable, vector_length, count: int,
                   *message) -> list:
    """The `count` entries of an integer vector of length `vector_length`, which must be
    `count` (else `message`): from the graph when it says what they are, else read from the
    vector, behind that check (so that a shorter vector fails with the op's message)."""
    known = entries(vector, count)
    if known is not None:
        return known
    checks.require([eq(vector_length, count)], *message)
    checked = checks.checked(vector)
    return [entry(checked, k) for k in range(count)]
