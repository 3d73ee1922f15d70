"""Indexing and slicing, and writing into slices (set_subtensor, inc_subtensor).

An index is described as data, `idx_list`: one entry per indexed axis, either `("index", i)` or
`("slice", start, stop, step)`. Each of i, start, stop, step is an int, None (absent, slices
only) or "?": a symbolic int scalar, taken from the op's extra inputs in order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphlab_kernel.gof.graph import Apply, Constant
from graphlab_kernel.gof.op import Op
from graphlab_kernel.tensor.type import DISCRETE_DTYPES, INT_DTYPES, TensorType
from graphlab_kernel.tensor.var import TensorVariable, as_tensor_variable

__all__ = ["IncSubtensor", "Subtensor", "inc_subtensor", "set_subtensor"]

SYMBOLIC = "?"
FULL_SLICE = ("slice", None, None, None)


class IndexOutOfRangeError(IndexError, ValueError):
    """An integer index outside the length of its axis (both an IndexError and a ValueError)."""


def _key_text(idx_list, scalars: Sequence[str] = ()) -> str:
    """`idx_list` written as Python index text, symbolic parts replaced by `scalars` (or '?')."""
    names = iter(scalars)

    def part(v):
        if v is None:
            return ""
        return next(names, SYMBOLIC) if v == SYMBOLIC else str(v)

    texts = []
    for entry in idx_list:
        if entry[0] == "index":
            texts.append(part(entry[1]))
        else:
            start, stop, step = (part(v) for v in entry[1:])
            texts.append(f"{start}:{stop}" + (f":{step}" if step else ""))
    return ", ".join(texts)


def _numpy_key(op, x: np.ndarray, idx_list, scalars) -> tuple:
    """The NumPy index for `idx_list` with the symbolic parts' values; checks integer indices."""
    values = iter(scalars)

    def value(v):
        return int(next(values)) if v == SYMBOLIC else v

    key = []
    for axis, entry in enumerate(idx_list):
        if entry[0] == "index":
            i, length = value(entry[1]), x.shape[axis]
            if not -length <= i < length:
                raise IndexOutOfRangeError(
                    f"{op}: index {i} is out of range for axis {axis} of length {length} "
                    f"(input shape {x.shape})")
            key.append(i)
        else:
            start, stop, step = value(entry[1]), value(entry[2]), value(entry[3])
            if step == 0:
                raise ValueError(f"{op}: slice step cannot be zero (input shape {x.shape})")
            key.append(slice(start, stop, step))
    return tuple(key)


def _count_symbolic(idx_list) -> int:
    return sum(v == SYMBOLIC for entry in idx_list for v in entry[1:])


def _check_scalars(op, scalars) -> list[TensorVariable]:
    checked = []
    for i, s in enumerate(scalars):
        s = as_tensor_variable(s, f"index {i} of {op}")
        if s.ndim != 0 or s.dtype not in INT_DTYPES:
            raise TypeError(f"index {i} of {op} must be an integer scalar; got {s} ({s.type})")
        checked.append(s)
    if len(checked) != _count_symbolic(op.idx_list):
        raise TypeError(f"{op} takes {_count_symbolic(op.idx_list)} symbolic index(es); got "
                        f"{len(checked)}")
    return checked


def _result_broadcastable(x, idx_list) -> tuple[bool, ...]:
    """Axes kept by the index; a sliced axis stays broadcastable only under a full slice."""
    bcast = []
    for axis, b in enumerate(x.broadcastable):
        entry = idx_list[axis] if axis < len(idx_list) else FULL_SLICE
        if entry[0] == "slice":
            bcast.append(b and entry == FULL_SLICE)
    return tuple(bcast)


class Subtensor(Op):
    """x[idx]: basic indexing by integers and slices (a view)."""

    __props__ = ("idx_list",)
    view_map = {0: [0]}

    def __init__(self, idx_list: Sequence[tuple]):
        self.idx_list = tuple(tuple(entry) for entry in idx_list)

    def __str__(self) -> str:
        return f"Subtensor{{{_key_text(self.idx_list)}}}"

    def make_node(self, x, *scalars) -> Apply:
        x = as_tensor_variable(x, f"input of {self}")
        if len(self.idx_list) > x.ndim:
            raise IndexError(f"too many indices for {x} ({x.type}): {len(self.idx_list)} given")
        scalars = _check_scalars(self, scalars)
        out_type = TensorType(x.dtype, _result_broadcastable(x, self.idx_list))
        return Apply(self, [x, *scalars], [out_type()])

    def perform(self, node, inputs):
        x, *scalars = inputs
        return [np.asarray(x[_numpy_key(self, x, self.idx_list, scalars)])]

    def grad(self, inputs, outputs, output_grads):
        from graphlab_kernel.tensor.math import zeros_like
        x, *scalars = inputs
        if x.dtype in DISCRETE_DTYPES:
            return [None] * len(inputs)
        gx = IncSubtensor(self.idx_list, False)(zeros_like(x), output_grads[0], *scalars)
        return [gx] + [None] * len(scalars)

    def infer_shape(self, node, input_shapes):
        """The sliced axes' lengths, as NumPy computes them; each integer index must be within
        its axis and each step not 0."""
        from graphlab_kernel.tensor.shape_checks import Checks
        checks = Checks(self)
        region = _region(checks, self.idx_list, input_shapes[0], node.inputs[1:])
        return [checks.apply(region)]

    def pp(self, node, args: Sequence[str]) -> str:
        return f"{args[0]}[{_key_text(self.idx_list, _scalar_texts(node, args))}]"


def _region(checks, idx_list, shape, scalars) -> list:
    """The lengths of x[idx] for x of `shape`, with the checks _numpy_key makes, in its order."""
    from graphlab_kernel.tensor import lengths as L
    values = iter(scalars)

    def value(v):
        return next(values) if v == SYMBOLIC else v

    lengths = []
    for axis, n in enumerate(shape):
        entry = idx_list[axis] if axis < len(idx_list) else FULL_SLICE
        if entry[0] == "index":
            i = L.length(value(entry[1]))
            checks.require([L.index_in_range(i, n)], "index ", i, " is out of range for axis ",
                           axis, " of length ", n, " (input shape ", shape, ")",
                           index_error=True)
            continue
        start, stop, step = (None if v is None else L.length(value(v)) for v in entry[1:])
        if step is not None:
            checks.require([L.ne(step, 0)], "slice step cannot be zero (input shape ", shape,
                           ")")
        lengths.append(L.slice_length(n, start, stop, step))
    return lengths


def _scalar_texts(node, args: Sequence[str]) -> list[str]:
    """How to print each symbolic index: a constant's value, else its expression."""
    start = len(node.inputs) - _count_symbolic(node.op.idx_list)
    return [str(v.data) if isinstance(v, Constant) else a
            for v, a in zip(node.inputs[start:], args[start:])]


class IncSubtensor(Op):
    """A copy of x with y added to x[idx] (or written there when `set_instead_of_inc`)."""

    __props__ = ("idx_list", "set_instead_of_inc")

    def __init__(self, idx_list: Sequence[tuple], set_instead_of_inc: bool):
        self.idx_list = tuple(tuple(entry) for entry in idx_list)
        self.set_instead_of_inc = bool(set_instead_of_inc)

    def __str__(self) -> str:
        kind = "Set" if self.set_instead_of_inc else "Inc"
        return f"{kind}Subtensor{{{_key_text(self.idx_list)}}}"

    def make_node(self, x, y, *scalars) -> Apply:
        x = as_tensor_variable(x, f"input of {self}")
        y = as_tensor_variable(y, f"value written by {self}", partner_dtype=x.dtype)
        if len(self.idx_list) > x.ndim:
            raise IndexError(f"too many indices for {x} ({x.type}): {len(self.idx_list)} given")
        _check_written_value(self, x, y, len(_result_broadcastable(x, self.idx_list)),
                             f"the region {x}[{_key_text(self.idx_list)}]")
        scalars = _check_scalars(self, scalars)
        return Apply(self, [x, y, *scalars], [x.type()])

    def perform(self, node, inputs):
        x, y, *scalars = inputs
        out = x.copy()
        key = _numpy_key(self, x, self.idx_list, scalars)
        _check_value_shape(self, y, node.inputs[1].type, np.shape(out[key]), x)
        if self.set_instead_of_inc:
            out[key] = y
        else:
            out[key] += y
        return [out]

    def grad(self, inputs, outputs, output_grads):
        x, y, *scalars = inputs
        (gz,) = output_grads
        if self.set_instead_of_inc:
            gx = IncSubtensor(self.idx_list, True)(gz, np.zeros((), dtype=gz.dtype), *scalars)
        else:
            gx = gz
        gy = _sum_to_shape_of(Subtensor(self.idx_list)(gz, *scalars), y)
        return [None if x.dtype in DISCRETE_DTYPES else gx,
                None if y.dtype in DISCRETE_DTYPES else gy] + [None] * len(scalars)

    def infer_shape(self, node, input_shapes):
        """x's shape, once the index is checked and the value fits the region it is written to."""
        from graphlab_kernel.tensor.shape_checks import Checks
        sx, sy = input_shapes[:2]
        checks = Checks(self)
        region = _region(checks, self.idx_list, sx, node.inputs[2:])
        _require_value_fits(checks, node.inputs[1], sy, region, sx)
        return [checks.apply(sx)]

    def pp(self, node, args: Sequence[str]) -> str:
        kind = "set_subtensor" if self.set_instead_of_inc else "inc_subtensor"
        key = _key_text(self.idx_list, _scalar_texts(node, args))
        return f"{kind}({args[0]}[{key}], {args[1]})"


def _check_value_shape(op, y, y_type, region_shape: tuple, x) -> None:
    """Raise ValueError unless the value `y` (of type `y_type`) broadcasts to the region of x it
    is written into. As for elementwise ops, an axis of length 1 broadcasts only where y's type
    says it may: the gradient sums over those axes alone."""
    shape = np.shape(y)
    aligned = region_shape[len(region_shape) - len(shape):]
    fits = len(shape) <= len(region_shape) and all(
        n == r or (n == 1 and y_type.broadcastable[d])
        for d, (n, r) in enumerate(zip(shape, aligned)))
    if not fits:  # the message the C backend gives, word for word
        raise ValueError(f"{op}: a value of shape {shape} does not broadcast to the region of "
                         f"shape {region_shape} (input shape {np.shape(x)})")


def _require_value_fits(checks, y, y_shape, region, x_shape) -> None:
    """The check _check_value_shape makes, for shape inference: the value y (of shape y_shape)
    broadcasts to the region (lengths) of x (of shape x_shape) it is written into."""
    from graphlab_kernel.tensor import lengths as L
    aligned = region[len(region) - len(y_shape):]
    checks.require([L.eq(n, r) for n, r, b in zip(y_shape, aligned, y.broadcastable) if not b],
                   "a value of shape ", y_shape, " does not broadcast to the region of shape ",
                   region, " (input shape ", x_shape, ")")


def _check_written_value(op, x, y, region_ndim: int, region: str) -> None:
    """Refuse a value `y` of more dimensions than the region of x it is written into, or of a
    dtype x cannot hold without loss."""
    if y.ndim > region_ndim:
        raise TypeError(f"{op}: the value {y} has {y.ndim} dimension(s); {region} has only "
                        f"{region_ndim}")
    if not np.can_cast(y.dtype, x.dtype):
        raise TypeError(f"{op}: cannot write {y} ({y.dtype}) into {x} ({x.dtype}) without loss; "
                        "cast it first")


def _sum_to_shape_of(g, y):
    """Sum the gradient `g` of a broadcast value down to y's rank and broadcastable pattern."""
    from graphlab_kernel.tensor.math import cast
    from graphlab_kernel.tensor.math import sum as sum_
    extra = g.ndim - y.ndim
    if extra:
        g = sum_(g, axis=tuple(range(extra)))
    axes = tuple(d for d in range(y.ndim) if y.broadcastable[d] and not g.broadcastable[d])
    if axes:
        g = sum_(g, axis=axes, keepdims=True)
    return cast(g, y.dtype)


def _expand_ellipsis(x, key) -> tuple:
    """A Python index as a tuple of one entry per indexed axis, '...' replaced by full slices."""
    if not isinstance(key, tuple):
        key = (key,)
    if any(k is Ellipsis for k in key):
        at = key.index(Ellipsis)
        rest = key[at + 1:]
        if any(k is Ellipsis for k in rest):
            raise IndexError("an index can only have a single ellipsis ('...')")
        fill = x.ndim - (len(key) - 1)
        key = key[:at] + (slice(None),) * max(fill, 0) + rest
    if len(key) > x.ndim:
        raise IndexError(f"too many indices for {x} ({x.type}): {len(key)} given, it has "
                         f"{x.ndim} dimension(s)")
    return key


def _parse_key(x, key) -> tuple[list[tuple], list]:
    """Split a Python index into an idx_list and the symbolic scalars it uses."""
    key = _expand_ellipsis(x, key)
    scalars: list = []

    def part(v, what):
        if v is None:
            return None
        if isinstance(v, (bool, np.bool_)):
            raise TypeError(f"{what} must be an integer; got the boolean {v!r}")
        if isinstance(v, (int, np.integer)):
            return int(v)
        if isinstance(v, TensorVariable) and v.ndim == 0 and v.dtype in INT_DTYPES:
            scalars.append(v)
            return SYMBOLIC
        raise TypeError(f"{what} must be an integer or an integer scalar variable; got "
                        f"{type(v).__name__} {v!r} (only basic indexing is supported)")

    idx_list = []
    for axis, k in enumerate(key):
        if isinstance(k, slice):
            idx_list.append(("slice", part(k.start, f"the start of the slice on axis {axis}"),
                             part(k.stop, f"the stop of the slice on axis {axis}"),
                             part(k.step, f"the step of the slice on axis {axis}")))
        else:
            idx_list.append(("index", part(k, f"the index on axis {axis}")))
    return idx_list, scalars


def _check_static_index(x, idx_list) -> None:
    """Reject a constant index that is out of range for an axis known to have length 1."""
    for axis, entry in enumerate(idx_list):
        if (entry[0] == "index" and isinstance(entry[1], int) and x.broadcastable[axis]
                and entry[1] not in (0, -1)):
            raise IndexError(f"index {entry[1]} is out of range for axis {axis} of {x} "
                             f"({x.type}), which has length 1")


def getitem(x, key):
    """x[key] for integers, slices (with steps, negative bounds) and integer scalar variables;
    with integer arrays (x[iv], m[iv, jv]), advanced indexing (advanced_subtensor.py)."""
    x = as_tensor_variable(x, "indexed value")
    if _advanced.is_array_key(key):
        return _advanced.getitem_with_arrays(x, key)
    idx_list, scalars = _parse_key(x, key)
    _check_static_index(x, idx_list)
    if not idx_list:
        return x
    while len(idx_list) > 1 and idx_list[-1] == FULL_SLICE:
        idx_list.pop()
    return Subtensor(idx_list)(x, *scalars)


def _writer(x_sub, y, set_instead_of_inc: bool):
    name = "set_subtensor" if set_instead_of_inc else "inc_subtensor"
    op = x_sub.owner.op if isinstance(x_sub, TensorVariable) and x_sub.owner else None
    if isinstance(op, (_advanced.AdvancedSubtensor1, _advanced.AdvancedSubtensor)):
        return _advanced.write_with_arrays(x_sub, y, set_instead_of_inc)
    if not isinstance(op, Subtensor):
        raise TypeError(f"{name} expects an indexed tensor such as x[1:3] or x[iv] as its first "
                        f"argument; got {x_sub!r}")
    node = x_sub.owner
    x, *scalars = node.inputs
    return IncSubtensor(node.op.idx_list, set_instead_of_inc)(x, y, *scalars)


def set_subtensor(x_sub, y):
    """A copy of the tensor indexed by `x_sub` (e.g. x[1:3], x[iv]) with y written into that
    region (at repeated indices, the last write wins)."""
    return _writer(x_sub, y, True)


def inc_subtensor(x_sub, y):
    """A copy of the tensor indexed by `x_sub` (e.g. x[1:3], x[iv]) with y added to that region
    (at repeated indices, every addition counts)."""
    return _writer(x_sub, y, False)


from graphlab_kernel.tensor import advanced_subtensor as _advanced  # noqa: E402  (cycle: it uses
# this module's helpers, getitem and the writers dispatch to it)
