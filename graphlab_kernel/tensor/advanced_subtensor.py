"""Advanced (integer array) indexing, Theano's: x[iv], m[iv, jv], and writing there.

`AdvancedSubtensor1` takes the rows of x at an integer vector: x[iv]. `AdvancedSubtensor` takes
integer indices on the first k axes together, as coordinates: m[iv, jv] is [m[iv[0], jv[0]],
m[iv[1], jv[1]], ...]; its indices are vectors, or scalars, broadcast against each other as NumPy
broadcasts them (a length-1 vector against one of length n). Both return copies. Their writers,
`AdvancedIncSubtensor1` and `AdvancedIncSubtensor`, return a copy of x with y added at those
places (repeated indices add up, as np.add.at does) or written there (the last write wins, as in
NumPy's assignment).

The keys written with them: index arrays on the first axes, next to each other, followed by full
slices only (x[iv], m[iv, jv], t[iv, jv, :], m[iv, 0]). Others raise when the graph is built.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphlab_kernel.gof.graph import Apply, Constant
from graphlab_kernel.gof.op import Op
from graphlab_kernel.tensor.subtensor import (IndexOutOfRangeError, _check_value_shape,
                                              _check_written_value, _expand_ellipsis,
                                              _sum_to_shape_of)
from graphlab_kernel.tensor.type import DISCRETE_DTYPES, INT_DTYPES, TensorType
from graphlab_kernel.tensor.var import TensorVariable, as_tensor_variable

__all__ = ["AdvancedIncSubtensor", "AdvancedIncSubtensor1", "AdvancedSubtensor",
           "AdvancedSubtensor1", "advanced_inc_subtensor", "advanced_inc_subtensor1",
           "advanced_set_subtensor", "advanced_set_subtensor1", "advanced_subtensor",
           "advanced_subtensor1"]

SUPPORTED = ("integer arrays on the first axes, next to each other, followed by full slices only "
             "(x[iv], m[iv, jv], t[iv, jv, :], m[iv, 0])")


# --- index inputs -------------------------------------------------------------------------------


def _index_variable(value, what: str) -> TensorVariable:
    """`value` (a tensor, a list or array of ints, an int) as an integer index of rank 0 or 1."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{what} must be an integer or an integer array; got the boolean "
                        f"{value!r}")
    if isinstance(value, (list, tuple, np.ndarray)) and not _holds_variables(value):
        array = np.asarray(value)
        if array.size == 0 and array.dtype.kind not in "iub":
            array = array.astype("int64")  # x[[]] selects nothing, as in NumPy
        value = array
    index = as_tensor_variable(value, what)
    if index.dtype == "bool":
        raise NotImplementedError(f"{what} is a boolean mask ({index}, {index.type}); boolean "
                                  f"masks are not supported. Supported: {SUPPORTED}")
    if index.dtype not in INT_DTYPES:
        raise TypeError(f"{what} must be an integer index; got {index} ({index.type}). Index "
                        f"arrays must have an integer dtype (cast a float array first)")
    if index.ndim > 1:
        raise NotImplementedError(f"{what} is an index array of rank {index.ndim} ({index}, "
                                  f"{index.type}); only vectors (and scalars) are supported as "
                                  f"index arrays")
    return index


def _holds_variables(value) -> bool:
    if isinstance(value, np.ndarray):
        return value.dtype == object
    return any(isinstance(v, TensorVariable) or (isinstance(v, (list, tuple)) and
                                                 _holds_variables(v)) for v in value)


def _index_inputs(op, x, indices, vector_only: bool) -> tuple[TensorVariable, list]:
    """Check the indexed tensor and its index inputs (at least one vector, one per axis at most)."""
    x = as_tensor_variable(x, f"input of {op}")
    indices = [_index_variable(v, f"index {j} of {op}") for j, v in enumerate(indices)]
    if not indices:
        raise TypeError(f"{op} takes at least one index array; got none")
    if len(indices) > x.ndim:
        raise IndexError(f"too many indices for {x} ({x.type}): {len(indices)} given, it has "
                         f"{x.ndim} dimension(s)")
    if vector_only and (len(indices) != 1 or indices[0].ndim != 1):
        raise TypeError(f"{op} takes one integer vector; got {', '.join(map(str, indices))} "
                        f"({', '.join(str(i.type) for i in indices)})")
    if all(i.ndim == 0 for i in indices):
        raise TypeError(f"{op} needs at least one index vector; got only scalars (index with "
                        f"x[i, j] instead)")
    return x, indices


def _index_broadcastable(indices) -> bool:
    """Whether the indices' broadcast length is 1 by their types."""
    return all(i.ndim == 0 or i.broadcastable[0] for i in indices)


def _broadcast_length(op, x: np.ndarray, indices) -> int:
    """The length the index arrays broadcast to, or an IndexError (as NumPy's) naming the op."""
    length = 1
    for index in indices:
        shape = np.shape(index)
        if shape and shape[0] != 1:
            if length not in (1, shape[0]):
                raise IndexOutOfRangeError(
                    f"{op}: index arrays of shapes ({length},) and {shape} do not broadcast "
                    f"together (input shape {x.shape})")
            length = shape[0]
    return length


def _checked_key(op, x: np.ndarray, indices, length: int) -> tuple:
    """The NumPy key for the index arrays, after the check NumPy makes, with a message naming
    the op: each value is within its axis (a vector's only when the arrays select something, a
    scalar's always, as in NumPy)."""
    key = []
    for axis, index in enumerate(indices):
        index, n = np.asarray(index), x.shape[axis]
        if length or index.ndim == 0:
            if index.dtype == np.uint64:
                bad = index >= n
            else:
                wide = index.astype(np.int64)
                bad = (wide < -n) | (wide >= n)
            if bad.any():
                given = int(index.reshape(-1)[np.argmax(bad.reshape(-1))])
                raise IndexOutOfRangeError(
                    f"{op}: index {given} is out of range for axis {axis} of length {n} "
                    f"(input shape {x.shape})")
        key.append(index.astype(np.intp))  # in range when used: a uint64 cannot wrap around
    return tuple(key)


def _index_checks(checks, op, x, indices, shapes) -> tuple:
    """For shape inference: the length the index arrays broadcast to, and a function adding
    the check that every index is within its axis, as _broadcast_length and _checked_key make
    them (the second reads the index arrays' values: a reduction over them)."""
    from graphlab_kernel.tensor import lengths as L
    from graphlab_kernel.tensor.shape_checks import listed
    sx, index_shapes = shapes[0], shapes[1:]
    common, agree = L.length(1), []
    for s in index_shapes:
        if s:  # a vector: of length 1, or of the length the others have
            agree.append(L.any_of(L.eq(s[0], 1), L.eq(common, 1), L.eq(common, s[0])))
            common = s[0] if L.static(common) == 1 else L.switch(L.eq(s[0], 1), common, s[0])
    checks.require(agree, "index arrays of shapes ", *listed(index_shapes),
                   " do not broadcast together (input shape ", sx, ")", index_error=True)

    def require_in_range() -> None:
        for axis, index in enumerate(indices):
            n = sx[axis]
            inside = _all_within(index, n)
            if index.ndim:  # a vector's values only count when the arrays select something
                inside = L.any_of(L.eq(common, 0), inside)
            checks.require([inside], "an index is out of range for axis ", axis, " of length ",
                           n, " (input shape ", sx, ")", index_error=True)

    return common, require_in_range


def _all_within(index, n):
    """Whether every value of an integer index (a scalar or a vector) is in [-n, n)."""
    from graphlab_kernel.tensor import math as M
    if index.dtype.startswith("uint"):
        inside = M.lt(index, M.cast(n, "uint64"))  # n >= 0
    else:
        inside = M.and_(M.ge(index, -n), M.lt(index, n))
    return M.all(inside) if index.ndim else inside


def _index_texts(indices, args: Sequence[str]) -> str:
    """How to print the indices: a constant's value, else its expression."""
    return ", ".join(str(v.data.tolist()) if isinstance(v, Constant) else a
                     for v, a in zip(indices, args))


# --- reading ------------------------------------------------------------------------------------


class _AdvancedRead(Op):
    """x indexed on its first k axes by k integer indices taken together (a copy)."""

    vector_only = False

    def make_node(self, x, *indices) -> Apply:
        x, indices = _index_inputs(self, x, indices, self.vector_only)
        bcast = (_index_broadcastable(indices),) + x.broadcastable[len(indices):]
        return Apply(self, [x, *indices], [TensorType(x.dtype, bcast)()])

    def perform(self, node, inputs):
        x, *indices = inputs
        return [x[_checked_key(self, x, indices, _broadcast_length(self, x, indices))]]

    def grad(self, inputs, outputs, output_grads):
        from graphlab_kernel.tensor.math import zeros_like
        x, *indices = inputs
        if x.dtype in DISCRETE_DTYPES:
            return [None] * len(inputs)
        gx = self.writer(False)(zeros_like(x), output_grads[0], *indices)  # repeats add up
        return [gx] + [None] * len(indices)

    def writer(self, set_instead_of_inc: bool) -> Op:
        raise NotImplementedError

    def infer_shape(self, node, input_shapes):
        """(the indices' broadcast length,) + x's other lengths, once the indices are checked
        (their values too: they must be within their axes)."""
        from graphlab_kernel.tensor.shape_checks import Checks
        x, *indices = node.inputs
        checks = Checks(self)
        common, require_in_range = _index_checks(checks, self, x, indices, input_shapes)
        require_in_range()
        return [checks.apply([common, *input_shapes[0][len(indices):]])]

    def pp(self, node, args: Sequence[str]) -> str:
        return f"{args[0]}[{_index_texts(node.inputs[1:], args[1:])}]"


class AdvancedSubtensor1(_AdvancedRead):
    """x[iv]: the rows of x at the integer vector iv, shape (len(iv),) + x.shape[1:] (a copy)."""

    vector_only = True

    def writer(self, set_instead_of_inc: bool) -> Op:
        return AdvancedIncSubtensor1(set_instead_of_inc)


class AdvancedSubtensor(_AdvancedRead):
    """m[iv, jv, ...]: the elements (or sub-arrays) of x at the coordinates given by integer
    vectors and scalars on its first axes, broadcast together; shape (n,) + the other axes'."""

    def writer(self, set_instead_of_inc: bool) -> Op:
        return AdvancedIncSubtensor(set_instead_of_inc)


# --- writing ------------------------------------------------------------------------------------


class _AdvancedWrite(Op):
    """A copy of x with y added at (or written to) x[indices], the indices as in _AdvancedRead."""

    __props__ = ("set_instead_of_inc",)
    vector_only = False

    def __init__(self, set_instead_of_inc: bool = False):
        self.set_instead_of_inc = bool(set_instead_of_inc)

    def __str__(self) -> str:
        return f"{type(self).__name__}{{no_inplace,{'set' if self.set_instead_of_inc else 'inc'}}}"

    def make_node(self, x, y, *indices) -> Apply:
        x, indices = _index_inputs(self, x, indices, self.vector_only)
        y = as_tensor_variable(y, f"value written by {self}", partner_dtype=x.dtype)
        _check_written_value(self, x, y, 1 + x.ndim - len(indices),
                             f"the region of {x} it is written into")
        return Apply(self, [x, y, *indices], [x.type()])

    def perform(self, node, inputs):
        x, y, *indices = inputs
        length = _broadcast_length(self, x, indices)  # the shapes first, as in C, then values
        _check_value_shape(self, y, node.inputs[1].type, (length,) + x.shape[len(indices):], x)
        key = _checked_key(self, x, indices, length)
        out = x.copy()
        if self.set_instead_of_inc:
            out[key] = y
        else:
            np.add.at(out, key, y)
        return [out]

    def grad(self, inputs, outputs, output_grads):
        """wrt x: gz (set: zero where y was written); wrt y: gz at the indices, summed over the
        axes y was broadcast along. For set, only the last write to a place reaches the result,
        so an earlier write to the same place gets no gradient (see _last_writes)."""
        x, y, *indices = inputs
        (gz,) = output_grads
        gx = type(self)(True)(gz, np.zeros((), dtype=gz.dtype), *indices) \
            if self.set_instead_of_inc else gz
        read = self.reader()(gz, *indices)
        if self.set_instead_of_inc:
            read = read * self._last_writes(x, indices, read)
        gy = _sum_to_shape_of(read, y)
        return [None if x.dtype in DISCRETE_DTYPES else gx,
                None if y.dtype in DISCRETE_DTYPES else gy] + [None] * len(indices)

    def _last_writes(self, x, indices, read):
        """For each of the n writes (the first axis of `read`), whether no later write goes to
        the same place: writing the positions 0..n-1 themselves with this op leaves, at each
        place, the last position written there. Shaped to broadcast against `read`."""
        from graphlab_kernel.tensor.math import eq
        from graphlab_kernel.tensor.shape import alloc, arange, shape_i, shape_padright
        positions = arange(shape_i(read, 0))
        places = alloc(np.int64(-1), *(shape_i(x, d) for d in range(len(indices))))
        winner = type(self)(True)(places, positions, *indices)
        return shape_padright(eq(self.reader()(winner, *indices), positions), read.ndim - 1)

    def reader(self) -> Op:
        raise NotImplementedError

    def infer_shape(self, node, input_shapes):
        """x's shape, once the indices are checked and the value fits the region it is written
        to, as perform checks them."""
        from graphlab_kernel.tensor.shape_checks import Checks
        from graphlab_kernel.tensor.subtensor import _require_value_fits
        x, y, *indices = node.inputs
        sx, sy, *index_shapes = input_shapes
        checks = Checks(self)
        common, require_in_range = _index_checks(checks, self, x, indices, [sx, *index_shapes])
        _require_value_fits(checks, y, sy, [common, *sx[len(indices):]], sx)
        require_in_range()
        return [checks.apply(sx)]

    def pp(self, node, args: Sequence[str]) -> str:
        kind = "set_subtensor" if self.set_instead_of_inc else "inc_subtensor"
        return f"{kind}({args[0]}[{_index_texts(node.inputs[2:], args[2:])}], {args[1]})"


class AdvancedIncSubtensor1(_AdvancedWrite):
    """inc_subtensor(x[iv], y) / set_subtensor(x[iv], y) for an integer vector iv."""

    vector_only = True

    def reader(self) -> Op:
        return AdvancedSubtensor1()


class AdvancedIncSubtensor(_AdvancedWrite):
    """inc_subtensor(m[iv, jv], y) / set_subtensor(m[iv, jv], y): coordinates as in
    AdvancedSubtensor."""

    def reader(self) -> Op:
        return AdvancedSubtensor()


advanced_subtensor1 = AdvancedSubtensor1()
advanced_subtensor = AdvancedSubtensor()
advanced_inc_subtensor1 = AdvancedIncSubtensor1(False)
advanced_set_subtensor1 = AdvancedIncSubtensor1(True)
advanced_inc_subtensor = AdvancedIncSubtensor(False)
advanced_set_subtensor = AdvancedIncSubtensor(True)


# --- x[key] -------------------------------------------------------------------------------------


def is_array_key(key) -> bool:
    """Whether a Python index holds an index array on some axis."""
    return any(_is_array(k) for k in (key if isinstance(key, tuple) else (key,)))


def _is_array(entry) -> bool:
    """Whether one entry of an index is an index array: a list, a tuple, or an array or tensor
    of rank >= 1."""
    return isinstance(entry, (list, tuple)) or (
        isinstance(entry, (np.ndarray, TensorVariable)) and entry.ndim >= 1)


def _entry_text(k) -> str:
    if isinstance(k, slice):
        parts = ["" if v is None else str(v) for v in (k.start, k.stop, k.step)]
        return f"{parts[0]}:{parts[1]}" + (f":{parts[2]}" if parts[2] else "")
    if isinstance(k, np.ndarray):
        return str(k.tolist())
    return str(k)


def getitem_with_arrays(x: TensorVariable, key):
    """x[key] for a key with index arrays: AdvancedSubtensor1 for x[iv], else AdvancedSubtensor."""
    entries = _expand_ellipsis(x, key)
    text = f"{x}[{', '.join(_entry_text(k) for k in entries)}]"
    leading = next((a for a, k in enumerate(entries) if isinstance(k, slice)), len(entries))
    arrays = [a for a, k in enumerate(entries) if _is_array(k)]
    why = None
    if arrays[0] > leading:
        why = f"an index array after a slice, on axis {arrays[0]}"
    else:
        for axis in range(leading, len(entries)):
            k = entries[axis]
            if not isinstance(k, slice):
                why = f"index arrays and integers apart (a slice between them), on axis {axis}"
            elif any(v is not None for v in (k.start, k.stop, k.step)):
                why = f"a slice ({_entry_text(k)}) after the index arrays, on axis {axis}"
            if why:
                break
    if why:
        raise NotImplementedError(f"{text}: {why} is not supported; supported: {SUPPORTED}")
    indices = [_index_variable(k, f"the index on axis {axis} of {text}")
               for axis, k in enumerate(entries[:leading])]
    if len(indices) == 1:
        return advanced_subtensor1(x, indices[0])
    return advanced_subtensor(x, *indices)


def write_with_arrays(x_sub: TensorVariable, y, set_instead_of_inc: bool):
    """set_subtensor / inc_subtensor of x[key] computed by an advanced read."""
    node = x_sub.owner
    x, *indices = node.inputs
    return node.op.writer(set_instead_of_inc)(x, y, *indices)
