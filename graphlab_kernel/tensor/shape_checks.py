"""What shape inference is written with: `CheckShapes`, the op that keeps an op's shape checks,
and the arithmetic on lengths the ops' `infer_shape` methods use.

An op that can tell its outputs' shapes from its inputs' has a method

    infer_shape(node, input_shapes) -> [per output, a list of int64 scalars, one per axis]

where `input_shapes[i]` lists the lengths of input i as int64 scalars (`x.shape[k]`, or the
constant 1 on an axis its type says is broadcastable), and the node's inputs are at hand for
values that set a length (alloc's lengths, a slice's bounds, reshape's target). It returns None
for a node whose shapes it cannot tell (a scalar op that may refuse some values). Ops whose
shapes depend on array values (nonzero, index arrays' values aside) have no such method.

A length must fail where the op would: `Checks` collects the conditions the op checks, in the
order it checks them, each with the message it gives, and hangs them on every length it returns
(`CheckShapes` nodes, which pass the length through once their conditions hold). Conditions known
when the graph is built are left out, so `(x + x).shape` has no check at all.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphlab_kernel.gof.graph import Apply, Constant, Variable
from graphlab_kernel.gof.op import Op
from graphlab_kernel.tensor.type import FLOAT_DTYPES, INT_DTYPES, TensorType
from graphlab_kernel.tensor.var import TensorVariable, as_tensor_variable, constant

__all__ = ["CheckShapes", "Checks", "Lengths"]

INT64_MAX = np.iinfo(np.int64).max


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


# --- lengths ------------------------------------------------------------------------------------


def _M():
    from graphlab_kernel.tensor import math
    return math


def static(n) -> int | None:
    """The value of a length known while building the graph (an int or an integer constant)."""
    if isinstance(n, (bool, np.bool_)):
        return None
    if isinstance(n, (int, np.integer)):
        return int(n)
    if isinstance(n, Constant) and n.type.ndim == 0 and n.type.dtype in INT_DTYPES:
        return int(n.data)
    return None


def length(n) -> TensorVariable:
    """`n` (an int or an integer scalar) as an int64 scalar; a uint64 above INT64_MAX becomes
    INT64_MAX, as the C backend reads it (past the end of any axis)."""
    known = static(n)
    if known is not None:
        return constant(min(known, INT64_MAX), dtype="int64")
    n = as_tensor_variable(n, "length")
    if n.dtype == "int64":
        return n
    if n.dtype == "uint64":
        n = _M().minimum(n, constant(INT64_MAX, dtype="uint64"))
    return _M().cast(n, "int64")


def _fold(fn, a, b):
    sa, sb = static(a), static(b)
    return None if sa is None or sb is None else length(fn(sa, sb))


def _offset(v) -> tuple:
    """(base, c) with v = base + c for a constant c (base None for a constant v)."""
    from graphlab_kernel.tensor.elemwise import Elemwise
    from graphlab_kernel.tensor.scalar_ops import Add, Sub
    if static(v) is not None:
        return None, static(v)
    node = v.owner
    if node is not None and isinstance(node.op, Elemwise) and len(node.inputs) == 2:
        a, b = node.inputs
        if isinstance(node.op.scalar_op, Add) and static(b) is not None:
            return a, static(b)
        if isinstance(node.op.scalar_op, Add) and static(a) is not None:
            return b, static(a)
        if isinstance(node.op.scalar_op, Sub) and static(b) is not None:
            return a, -static(b)
    return v, 0


def add(a, b) -> TensorVariable:
    """a + b (constants gathered: (n - 1) + 1 is n)."""
    if static(a) is not None and static(b) is None:
        a, b = b, a
    if static(b) is None:
        return _M().add(length(a), length(b))
    base, c = _offset(a)
    c += static(b)
    if base is None:
        return length(c)
    if c == 0:
        return length(base)
    return _M().add(length(base), length(c)) if c > 0 else _M().sub(length(base), length(-c))


def sub(a, b) -> TensorVariable:
    """a - b."""
    if static(b) is not None:
        return add(a, -static(b))
    if static(a) == 0:
        return neg(b)
    return _M().sub(length(a), length(b))


def neg(a) -> TensorVariable:
    """-a."""
    from graphlab_kernel.tensor.elemwise import Elemwise
    from graphlab_kernel.tensor.scalar_ops import Neg
    if static(a) is not None:
        return length(-static(a))
    node = a.owner
    if node is not None and isinstance(node.op, Elemwise) and isinstance(node.op.scalar_op, Neg):
        return length(node.inputs[0])
    return _M().neg(length(a))


def mul(a, b) -> TensorVariable:
    """a * b."""
    folded = _fold(lambda p, q: p * q, a, b)
    if folded is not None:
        return folded
    if static(a) == 1:
        return length(b)
    if static(b) == 1:
        return length(a)
    return _M().mul(length(a), length(b))


def product(lengths: Sequence) -> TensorVariable:
    """The product of the lengths (1 for none)."""
    result = length(1)
    for n in lengths:
        result = mul(result, n)
    return result


def total(lengths: Sequence) -> TensorVariable:
    """The sum of the lengths (0 for none)."""
    result = length(0)
    for n in lengths:
        result = add(result, n)
    return result


def floor_div(a, b) -> TensorVariable:
    """a // b (0 when b is 0, on both backends)."""
    if static(b) == 1:
        return length(a)
    if static(b) not in (None, 0) and static(a) is not None:
        return length(static(a) // static(b))
    return _M().int_div(length(a), length(b))


def ceil_div(a, b) -> TensorVariable:
    """ceil(a / b), for b of either sign."""
    return length(a) if static(b) == 1 else neg(floor_div(neg(a), b))


def mod(a, b) -> TensorVariable:
    """a % b (0 when b is 0)."""
    if static(b) == 1:
        return length(0)
    if static(b) not in (None, 0) and static(a) is not None:
        return length(static(a) % static(b))
    return _M().mod(length(a), length(b))


def nonnegative(n, depth: int = 3) -> bool:
    """Whether a length is surely at least 0: a shape's, a constant's, or made of them."""
    if static(n) is not None:
        return static(n) >= 0
    node = getattr(n, "owner", None)
    if node is None or depth == 0:
        return False
    from graphlab_kernel.tensor.elemwise import Elemwise
    from graphlab_kernel.tensor.scalar_ops import Add, Maximum, Minimum, Mul
    from graphlab_kernel.tensor.shape import Shape_i
    if isinstance(node.op, Shape_i):
        return True
    if isinstance(node.op, CheckShapes):
        return nonnegative(node.inputs[0], depth)
    if isinstance(node.op, Elemwise) and isinstance(node.op.scalar_op, Maximum):
        return any(nonnegative(v, depth - 1) for v in node.inputs)
    if isinstance(node.op, Elemwise) and isinstance(node.op.scalar_op, (Add, Minimum, Mul)):
        return all(nonnegative(v, depth - 1) for v in node.inputs)
    return False


def maximum(a, b) -> TensorVariable:
    """max(a, b)."""
    folded = _fold(max, a, b)
    if folded is not None:
        return folded
    if static(a) == 0 and nonnegative(b):
        return length(b)
    if static(b) == 0 and nonnegative(a):
        return length(a)
    return _M().maximum(length(a), length(b))


def minimum(a, b) -> TensorVariable:
    """min(a, b)."""
    folded = _fold(min, a, b)
    return folded if folded is not None else _M().minimum(length(a), length(b))


def switch(condition, a, b) -> TensorVariable:
    """a where the condition holds, else b (both computed)."""
    if condition is True or condition is False:
        return length(a if condition else b)
    if a is b:
        return length(a)
    return _M().switch(condition, length(a), length(b))


# --- conditions: True or False when known, else a boolean scalar --------------------------------


def _compare(name: str, fn, a, b):
    sa, sb = static(a), static(b)
    if sa is not None and sb is not None:
        return bool(fn(sa, sb))
    if a is b:
        return bool(fn(0, 0))
    # a length surely at least 0, against a constant below or at 0, is known too
    if sb is not None and sb <= 0 and nonnegative(a):
        known = {fn(0, sb), fn(1 - sb, sb)}
        if len(known) == 1:
            return known.pop()
    if sa is not None and sa <= 0 and nonnegative(b):
        known = {fn(sa, 0), fn(sa, 1 - sa)}
        if len(known) == 1:
            return known.pop()
    return getattr(_M(), name)(length(a), length(b))


def eq(a, b):
    """a == b."""
    return _compare("eq", lambda p, q: p == q, a, b)


def ne(a, b):
    """a != b."""
    return _compare("neq", lambda p, q: p != q, a, b)


def lt(a, b):
    """a < b."""
    return _compare("lt", lambda p, q: p < q, a, b)


def le(a, b):
    """a <= b."""
    return _compare("le", lambda p, q: p <= q, a, b)


def gt(a, b):
    """a > b."""
    return _compare("gt", lambda p, q: p > q, a, b)


def ge(a, b):
    """a >= b."""
    return _compare("ge", lambda p, q: p >= q, a, b)


def all_of(*conditions):
    """Every condition holds."""
    pending = [c for c in conditions if c is not True]
    if any(c is False for c in pending):
        return False
    if not pending:
        return True
    result = pending[0]
    for c in pending[1:]:
        result = _M().and_(result, c)
    return result


def any_of(*conditions):
    """Some condition holds."""
    pending = [c for c in conditions if c is not False]
    if any(c is True for c in pending):
        return True
    if not pending:
        return False
    result = pending[0]
    for c in pending[1:]:
        result = _M().or_(result, c)
    return result


def not_(condition):
    """The condition does not hold."""
    if condition is True or condition is False:
        return not condition
    return _M().invert(condition)


def choose(condition, if_true, if_false):
    """The condition `if_true` where `condition` holds, else `if_false`."""
    if condition is True or condition is False:
        return if_true if condition else if_false
    return any_of(all_of(condition, if_true), all_of(not_(condition), if_false))


def at_most_one(conditions):
    """At most one of the conditions holds."""
    pending = [c for c in conditions if c is not False]
    if len(pending) <= 1:
        return True
    count = total([1 if c is True else _M().cast(c, "int64") for c in pending])
    return le(count, 1)


def index_in_range(i, n):
    """-n <= i < n: an integer index within an axis of length n (Python's rule)."""
    si = static(i)
    if si is not None:
        return lt(si, n) if si >= 0 else ge(n, -si)
    return all_of(ge(i, neg(n)), lt(i, n))


def slice_length(n, start, stop, step) -> TensorVariable:
    """The length of x[start:stop:step] along an axis of length n, as NumPy computes it (None is
    a bound or step left out; a bound beyond the axis is clamped to it). The step must not be 0
    (a check of its own)."""
    if step is None or (static(step) is not None and static(step) > 0):
        return _forward_length(n, start, stop, 1 if step is None else step)
    if static(step) is not None:
        return _backward_length(n, start, stop, step)
    return switch(gt(step, 0), _forward_length(n, start, stop, step),
                  _backward_length(n, start, stop, step))


def _wrapped(i, n):
    """A bound counted from the end when negative."""
    si = static(i)
    if si is not None:
        return length(si) if si >= 0 else add(n, si)
    return switch(lt(i, 0), add(i, n), i)


def _forward_length(n, start, stop, step) -> TensorVariable:
    # a start past the end gives a span of at most 0 with or without the clamp
    first = length(0) if start is None else (
        length(start) if _at_least(start, 0) else _clamped(_wrapped(start, n), 0, n))
    end = length(n) if stop is None else _clamped(_wrapped(stop, n), 0, n)
    return _count(sub(end, first), step)


def _backward_length(n, start, stop, step) -> TensorVariable:
    # a stop past the end gives a span of at most 0 with or without the clamp
    first = sub(n, 1) if start is None else _clamped(_wrapped(start, n), -1, sub(n, 1))
    end = length(-1) if stop is None else (
        length(stop) if _at_least(stop, 0) else _clamped(_wrapped(stop, n), -1, sub(n, 1)))
    return _count(sub(first, end), neg(step))


def _at_least(v, low: int) -> bool:
    return static(v) is not None and static(v) >= low


def _count(span, step) -> TensorVariable:
    """How many of 0, step, 2 * step, ... are below span (step > 0): at least 0."""
    count = ceil_div(span, step)
    if nonnegative(span) and _at_least(step, 1):
        return count
    return maximum(0, count)


def _clamped(v, low: int, high):
    """v within [low, high], where low <= high always holds (0 <= n, -1 <= n - 1)."""
    known = static(v)
    if (known is not None and known >= low) or (low == 0 and nonnegative(v)):
        raised = length(v)
    else:
        raised = maximum(v, low)
    if static(raised) == low:
        return raised
    return minimum(raised, high)


def entries(vector: Variable, count: int) -> list | None:
    """The `count` entries of an integer vector as int64 scalars, when the graph says what
    they are (a constant, a stack of scalars, a shape); None otherwise."""
    from graphlab_kernel.tensor.elemwise import DimShuffle
    from graphlab_kernel.tensor.shape import Join, Shape, Shape_i
    if isinstance(vector, Constant):
        values = [int(v) for v in np.asarray(vector.data).reshape(-1)]
        return [length(v) for v in values] if len(values) == count else None
    node = vector.owner
    if node is None:
        return None
    if isinstance(node.op, Shape):
        x = node.inputs[0]
        if x.ndim != count:
            return None
        return [length(1) if b else Shape_i(k)(x) for k, b in enumerate(x.broadcastable)]
    if isinstance(node.op, Join) and node.op.axis == 0 and len(node.inputs) == count:
        found = []
        for piece in node.inputs:
            inner = piece.owner
            if (inner is None or not isinstance(inner.op, DimShuffle)
                    or inner.op.new_order != ("x",) or inner.inputs[0].ndim != 0):
                return None
            found.append(length(inner.inputs[0]))
        return found
    return None


def entry(vector: Variable, k: int) -> TensorVariable:
    """Entry k of an integer vector, read from it, as an int64 scalar."""
    from graphlab_kernel.tensor.subtensor import Subtensor
    return length(Subtensor((("index", k),))(vector))


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


def as_type(n, like: TensorType) -> Variable:
    """A length as a variable of type `like` (an int64 scalar type)."""
    n = length(n)
    if n.type != like:
        raise TypeError(f"an inferred length is {n.type}; expected {like}")
    return n
