"""Arithmetic on lengths (int64 scalars) for shape inference, folding what is known while the
graph is built: constants, and lengths that are shapes (so at least 0). `x.shape[0] + 0` is
`x.shape[0]`, `(n - 1) + 1` is `n`, a length compared with -1 is known to differ. Conditions
(eq, ge, all_of...) are True or False when known, else a boolean scalar; `slice_length` is
NumPy's rule for the length of a slice, negative steps and symbolic bounds included.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphlab_kernel.gof.graph import Constant, Variable
from graphlab_kernel.tensor.type import INT_DTYPES
from graphlab_kernel.tensor.var import TensorVariable, as_tensor_variable, constant

INT64_MAX = np.iinfo(np.int64).max


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
    from graphlab_kernel.tensor.shape_checks import CheckShapes
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


def _combined(conditions, absorbing: bool, how: str):
    """The conditions joined by `how` ('and_' or 'or_'), with what is known folded first: one
    equal to `absorbing` decides it, the others are left out."""
    pending = [c for c in conditions if c is not (not absorbing)]
    if any(c is absorbing for c in pending):
        return absorbing
    if not pending:
        return not absorbing
    result = pending[0]
    for c in pending[1:]:
        result = getattr(_M(), how)(result, c)
    return result


def all_of(*conditions):
    """Every condition holds."""
    return _combined(conditions, False, "and_")


def any_of(*conditions):
    """Some condition holds."""
    return _combined(conditions, True, "or_")


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
