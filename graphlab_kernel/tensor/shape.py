"""Ops on shapes: reading a shape, transposing, reshaping, joining, allocating, ranges."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from graphlab_kernel.configuration import config
from graphlab_kernel.gof.graph import Apply, Constant
from graphlab_kernel.gof.op import Op
from graphlab_kernel.tensor.elemwise import dimshuffle
from graphlab_kernel.tensor.type import DISCRETE_DTYPES, FLOAT_DTYPES, INT_DTYPES, TensorType
from graphlab_kernel.tensor.var import as_tensor_variable

__all__ = ["ARange", "Alloc", "Eye", "Join", "Reshape", "Shape", "Shape_i", "alloc", "arange",
           "concatenate", "eye", "flatten", "identity_like", "join", "ones", "reshape", "shape",
           "shape_i", "shape_padaxis", "shape_padleft", "shape_padright", "size", "stack",
           "transpose", "zeros"]


class Shape(Op):
    """The shape of a tensor, as an int64 vector."""

    def make_node(self, x) -> Apply:
        x = as_tensor_variable(x, "input of shape")
        return Apply(self, [x], [TensorType("int64", (x.ndim == 1,))()])

    def perform(self, node, inputs):
        return [np.asarray(inputs[0].shape, dtype="int64")]

    def grad(self, inputs, outputs, output_grads):
        return [None]

    def infer_shape(self, node, input_shapes):
        return [[node.inputs[0].ndim]]


class Shape_i(Op):
    """The length of one axis of a tensor, as an int64 scalar."""

    __props__ = ("i",)

    def __init__(self, i: int):
        self.i = int(i)

    def __str__(self) -> str:
        return f"Shape_i{{{self.i}}}"

    def make_node(self, x) -> Apply:
        x = as_tensor_variable(x, "input of Shape_i")
        if not 0 <= self.i < x.ndim:
            raise ValueError(f"{x} has {x.ndim} dimension(s); it has no axis {self.i}")
        return Apply(self, [x], [TensorType("int64", ())()])

    def perform(self, node, inputs):
        return [np.asarray(inputs[0].shape[self.i], dtype="int64")]

    def grad(self, inputs, outputs, output_grads):
        return [None]

    def infer_shape(self, node, input_shapes):
        return [[]]

    def pp(self, node, args: Sequence[str]) -> str:
        return f"{args[0]}.shape[{self.i}]"


_shape = Shape()


def shape(x):
    """The shape of x, as a symbolic int64 vector."""
    return _shape(x)


def shape_i(x, i: int):
    """The length of axis i of x, as a symbolic int64 scalar."""
    return Shape_i(i)(x)


def transpose(x, axes: Sequence[int] | None = None):
    """x with its axes permuted (reversed when `axes` is None)."""
    x = as_tensor_variable(x, "input of transpose")
    if axes is None:
        axes = tuple(reversed(range(x.ndim)))
    axes = [int(a) % x.ndim if x.ndim else a for a in axes]
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"transpose axes {axes} are not a permutation of the {x.ndim} axes of {x}")
    return dimshuffle(x, axes)


def size(x):
    """The number of elements of x, as a symbolic int64 scalar."""
    from graphlab_kernel.tensor.math import prod
    return prod(shape(x))


# --- reshape ------------------------------------------------------------------------------------


class Reshape(Op):
    """x's elements, in C order, laid out in a new shape of `ndim` axes (one length may be -1)."""

    __props__ = ("ndim",)
    view_map = {0: [0]}

    def __init__(self, ndim: int):
        self.ndim = int(ndim)

    def __str__(self) -> str:
        return f"Reshape{{{self.ndim}}}"

    def make_node(self, x, new_shape) -> Apply:
        x = as_tensor_variable(x, "input of reshape")
        new_shape = as_tensor_variable(new_shape, "shape of reshape")
        if new_shape.ndim != 1 or new_shape.dtype not in INT_DTYPES:
            raise TypeError(f"the shape of reshape must be an integer vector; got {new_shape} "
                            f"({new_shape.type})")
        bcast = (False,) * self.ndim
        if isinstance(new_shape, Constant):
            if len(new_shape.data) != self.ndim:
                raise ValueError(f"reshape: shape {tuple(new_shape.data)} has "
                                 f"{len(new_shape.data)} lengths; expected ndim={self.ndim}")
            bcast = tuple(bool(s == 1) for s in new_shape.data)
        return Apply(self, [x, new_shape], [TensorType(x.dtype, bcast)()])

    def perform(self, node, inputs):
        x, new_shape = inputs
        target = tuple(int(s) for s in new_shape)
        if len(target) != self.ndim:
            raise ValueError(f"{self}: got a shape of {len(target)} lengths {target}; expected "
                             f"{self.ndim}")
        try:
            out = x.reshape(target)
        except ValueError:
            raise ValueError(f"{self}: cannot reshape an array of shape {x.shape} (size {x.size}) "
                             f"into shape {target}") from None
        for axis, must_be_one in enumerate(node.outputs[0].broadcastable):
            if must_be_one and out.shape[axis] != 1:
                raise ValueError(f"{self}: axis {axis} of the result must have length 1; got "
                                 f"shape {out.shape}")
        return [out]

    def grad(self, inputs, outputs, output_grads):
        x, _ = inputs
        return [reshape(output_grads[0], shape(x), ndim=x.ndim), None]

    def infer_shape(self, node, input_shapes):
        """The target's lengths, a -1 among them the size over the others; checked as NumPy
        checks a reshape (one -1 at most, no other negative length, the same size)."""
        from graphlab_kernel.tensor import lengths as L
        from graphlab_kernel.tensor.shape_checks import Checks, vector_entries
        sx, (count,) = input_shapes
        checks = Checks(self)
        wanted = vector_entries(checks, node.inputs[1], count, self.ndim, "got a shape of ",
                                count, f" lengths; expected {self.ndim}")
        size = L.product(sx)
        unknown = [L.eq(n, -1) for n in wanted]
        known = L.product([L.switch(u, 1, n) for u, n in zip(unknown, wanted)])
        fits = L.choose(L.any_of(*unknown),
                        L.all_of(L.ne(known, 0), L.eq(L.mod(size, known), 0)),
                        L.eq(known, size))
        checks.require([*(L.ge(n, -1) for n in wanted), L.at_most_one(unknown), fits],
                       "cannot reshape an array of shape ", sx, " (size ", size, ") into shape ",
                       wanted)
        lengths = [L.switch(u, L.floor_div(size, known), n) for u, n in zip(unknown, wanted)]
        bcast = node.outputs[0].broadcastable
        for d in (d for d, b in enumerate(bcast) if b):
            checks.require([L.eq(lengths[d], 1)], f"axis {d} of the result must have length 1; "
                           "got shape ", lengths)
        return [checks.apply([1 if b else n for n, b in zip(lengths, bcast)])]

    def pp(self, node, args: Sequence[str]) -> str:
        return f"reshape({args[0]}, {args[1]})"


def _shape_vector(lengths, what: str):
    """A symbolic int64 vector from a list of ints and int scalars (a constant when all are ints)."""
    from graphlab_kernel.tensor.math import cast
    from graphlab_kernel.tensor.var import constant
    lengths = list(lengths)
    if all(isinstance(s, (int, np.integer)) for s in lengths):
        return constant(np.array(lengths, dtype="int64").reshape(len(lengths)), dtype="int64")
    parts = []
    for i, s in enumerate(lengths):
        s = as_tensor_variable(s, f"length {i} of {what}")
        if s.ndim != 0 or s.dtype not in INT_DTYPES:
            raise TypeError(f"length {i} of {what} must be an integer scalar; got {s} ({s.type})")
        parts.append(cast(s, "int64"))
    return stack(parts)


def reshape(x, new_shape, ndim: int | None = None):
    """x with the same elements in a new shape (a tuple of ints and int scalars, or an int
    vector with `ndim` given); one length may be -1."""
    x = as_tensor_variable(x, "input of reshape")
    if isinstance(new_shape, (int, np.integer)):
        new_shape = (new_shape,)
    if isinstance(new_shape, (list, tuple)):
        ndim = len(new_shape) if ndim is None else ndim
        new_shape = _shape_vector(new_shape, "reshape's shape")
    else:
        new_shape = as_tensor_variable(new_shape, "shape of reshape")
        if ndim is None:
            if not isinstance(new_shape, Constant):
                raise TypeError("reshape to a symbolic shape vector needs ndim=")
            ndim = len(new_shape.data)
    return Reshape(ndim)(x, new_shape)


def flatten(x, ndim: int = 1):
    """x with its trailing axes merged so that `ndim` axes remain."""
    x = as_tensor_variable(x, "input of flatten")
    if not 1 <= ndim <= max(x.ndim, 1):
        raise ValueError(f"flatten: ndim={ndim} must be between 1 and {max(x.ndim, 1)} for {x} "
                         f"({x.type})")
    if ndim == 1:
        return reshape(x, (-1,))
    # the last length is the product of the merged ones, not -1: with a length 0 among the kept
    # axes, -1 would be ambiguous (x of shape (0, 3, 4) flattens to (0, 12), not an error)
    last = shape_i(x, ndim - 1)
    for i in range(ndim, x.ndim):
        last = last * shape_i(x, i)
    return reshape(x, [shape_i(x, i) for i in range(ndim - 1)] + [last])


# --- joining ------------------------------------------------------------------------------------


class Join(Op):
    """Concatenate tensors of equal rank along `axis`."""

    __props__ = ("axis",)

    def __init__(self, axis: int):
        self.axis = int(axis)

    def __str__(self) -> str:
        return f"Join{{axis={self.axis}}}"

    def make_node(self, *tensors) -> Apply:
        from graphlab_kernel.tensor.var import as_tensor_variables
        if not tensors:
            raise ValueError("concatenate needs at least one tensor")
        tensors = as_tensor_variables(list(tensors), [f"input {i} of concatenate"
                                                      for i in range(len(tensors))])
        ndim = tensors[0].ndim
        for i, t in enumerate(tensors):
            if t.ndim != ndim:
                raise TypeError(f"concatenate: input {i} ({t}) is {t.type}; expected {ndim} "
                                "dimension(s) like input 0")
        if not 0 <= self.axis < ndim:
            raise ValueError(f"concatenate: axis {self.axis} is out of range for {ndim}-d inputs")
        bcast = tuple(d != self.axis and all(t.broadcastable[d] for t in tensors)
                      for d in range(ndim))
        dtype = str(np.result_type(*(t.dtype for t in tensors)))
        return Apply(self, tensors, [TensorType(dtype, bcast)()])

    def perform(self, node, inputs):
        first = inputs[0].shape
        for i, x in enumerate(inputs):
            if x.shape[:self.axis] + x.shape[self.axis + 1:] != \
                    first[:self.axis] + first[self.axis + 1:]:
                shapes = ", ".join(str(v.shape) for v in inputs)
                raise ValueError(f"{self}: input {i} has shape {x.shape}, which does not match "
                                 f"input 0 outside axis {self.axis} (shapes {shapes})")
        out = np.concatenate(inputs, axis=self.axis)
        return [out.astype(node.outputs[0].dtype, copy=False)]

    def grad(self, inputs, outputs, output_grads):
        from graphlab_kernel.tensor.subtensor import Subtensor
        (gz,) = output_grads
        grads, start = [], None
        idx = [("slice", None, None, None)] * self.axis + [("slice", "?", "?", None)]
        for x in inputs:
            length = shape_i(x, self.axis)
            begin = start if start is not None else as_tensor_variable(np.int64(0))
            stop = length if start is None else begin + length
            piece = Subtensor(tuple(idx))(gz, begin, stop)
            grads.append(None if x.dtype in DISCRETE_DTYPES else _cast_to(piece, x.dtype))
            start = stop
        return grads

    def infer_shape(self, node, input_shapes):
        """Input 0's shape, with the sum of the inputs' lengths along the axis; the others must
        match input 0 outside it."""
        from graphlab_kernel.tensor import lengths as L
        from graphlab_kernel.tensor.shape_checks import Checks, listed
        first = input_shapes[0]
        checks = Checks(self)
        for i, s in enumerate(input_shapes[1:], start=1):
            checks.require([L.eq(n, m) for d, (n, m) in enumerate(zip(s, first)) if d != self.axis],
                           f"input {i} has shape ", s, f", which does not match input 0 outside "
                           f"axis {self.axis} (shapes ", *listed(input_shapes), ")")
        along = L.total([s[self.axis] for s in input_shapes])
        return [checks.apply([along if d == self.axis else n for d, n in enumerate(first)])]

    def pp(self, node, args: Sequence[str]) -> str:
        return f"concatenate([{', '.join(args)}], axis={self.axis})"


def _cast_to(x, dtype: str):
    from graphlab_kernel.tensor.math import cast
    return cast(x, dtype)


def concatenate(tensors: Sequence, axis: int = 0):
    """Join tensors of equal rank along an existing axis (negative axes count from the end)."""
    from graphlab_kernel.tensor.var import as_tensor_variables
    tensors = as_tensor_variables(list(tensors))
    if not tensors:
        raise ValueError("concatenate needs at least one tensor")
    ndim = tensors[0].ndim
    if not -ndim <= axis < ndim:
        raise ValueError(f"concatenate: axis {axis} is out of range for {ndim}-d inputs")
    return Join(axis % ndim)(*tensors)


def join(axis: int, *tensors):
    """Theano's spelling of concatenate: join(axis, a, b, ...)."""
    return concatenate(tensors, axis)


def shape_padleft(x, n_ones: int = 1):
    """x with `n_ones` broadcastable axes of length 1 in front."""
    x = as_tensor_variable(x, "input of shape_padleft")
    return dimshuffle(x, ["x"] * n_ones + list(range(x.ndim)))


def shape_padright(x, n_ones: int = 1):
    """x with `n_ones` broadcastable axes of length 1 at the end."""
    x = as_tensor_variable(x, "input of shape_padright")
    return dimshuffle(x, list(range(x.ndim)) + ["x"] * n_ones)


def shape_padaxis(x, axis: int):
    """x with a broadcastable axis of length 1 inserted at `axis` (negative counts from the
    end of the result, as np.expand_dims)."""
    x = as_tensor_variable(x, "input of shape_padaxis")
    if not -x.ndim - 1 <= axis <= x.ndim:
        raise IndexError(f"shape_padaxis: axis {axis} is out of range for a result of "
                         f"{x.ndim + 1} dimensions")
    pattern: list = list(range(x.ndim))
    pattern.insert(axis % (x.ndim + 1), "x")
    return dimshuffle(x, pattern)


def stack(tensors: Sequence, axis: int = 0):
    """Join tensors of equal shape along a new axis."""
    from graphlab_kernel.tensor.var import as_tensor_variables
    tensors = as_tensor_variables(list(tensors))
    if not tensors:
        raise ValueError("stack needs at least one tensor")
    ndim = tensors[0].ndim
    if not -(ndim + 1) <= axis <= ndim:
        raise ValueError(f"stack: axis {axis} is out of range for {ndim}-d inputs")
    axis %= ndim + 1
    for i, t in enumerate(tensors):
        if t.ndim != ndim:
            raise TypeError(f"stack: input {i} ({t}) is {t.type}; expected {ndim} dimension(s) "
                            "like input 0")
    pattern = list(range(ndim))
    pattern.insert(axis, "x")
    return Join(axis)(*[dimshuffle(t, pattern) for t in tensors])


# --- allocation ---------------------------------------------------------------------------------


class Alloc(Op):
    """A new array of the shape given by the scalar inputs, filled with `value` (broadcast)."""

    def make_node(self, value, *lengths) -> Apply:
        value = as_tensor_variable(value, "value of alloc")
        lengths = [as_tensor_variable(s, f"length {i} of alloc") for i, s in enumerate(lengths)]
        for i, s in enumerate(lengths):
            if s.ndim != 0 or s.dtype not in INT_DTYPES:
                raise TypeError(f"length {i} of alloc must be an integer scalar; got {s} "
                                f"({s.type})")
        if value.ndim > len(lengths):
            raise ValueError(f"alloc: the value {value} has {value.ndim} dimension(s), more than "
                             f"the {len(lengths)} lengths given")
        bcast = tuple(isinstance(s, Constant) and int(s.data) == 1 for s in lengths)
        return Apply(self, [value, *lengths], [TensorType(value.dtype, bcast)()])

    def perform(self, node, inputs):
        value, *lengths = inputs
        target = tuple(int(s) for s in lengths)
        if any(s < 0 for s in target):
            raise ValueError(f"Alloc: negative length in shape {target}")
        try:
            out = np.broadcast_to(value, target)
        except ValueError:
            fits = all(v in (1, t) for v, t in zip(value.shape[::-1], target[::-1]))
            if fits:  # NumPy refuses the size, not the shapes
                raise ValueError(f"Alloc: an array of shape {target} is too big") from None
            raise ValueError(f"Alloc: a value of shape {value.shape} does not broadcast to shape "
                             f"{target}") from None
        return [np.array(out, dtype=node.outputs[0].dtype)]

    def grad(self, inputs, outputs, output_grads):
        from graphlab_kernel.tensor.math import sum as sum_
        value, *lengths = inputs
        (gz,) = output_grads
        extra = gz.ndim - value.ndim
        g = sum_(gz, axis=tuple(range(extra))) if extra else gz
        axes = tuple(d for d in range(value.ndim) if value.broadcastable[d] and not g.broadcastable[d])
        if axes:
            g = sum_(g, axis=axes, keepdims=True)
        if value.dtype in DISCRETE_DTYPES:
            return [None] * len(inputs)
        return [_cast_to(g, value.dtype)] + [None] * len(lengths)

    def infer_shape(self, node, input_shapes):
        """The lengths given, none negative, to which the value must broadcast."""
        from graphlab_kernel.tensor import lengths as L
        from graphlab_kernel.tensor.shape_checks import Checks
        value, *given = node.inputs
        target = [L.length(n) for n in given]
        sv = input_shapes[0]
        checks = Checks(self)
        checks.require([L.ge(n, 0) for n in target], "negative length in shape ", target)
        aligned = target[len(target) - len(sv):]
        fits = [L.any_of(L.eq(n, 1), L.eq(n, t))
                for n, t, b in zip(sv, aligned, value.broadcastable) if not b]
        checks.require(fits, "a value of shape ", sv, " does not broadcast to shape ", target)
        return [checks.apply(target)]

    def pp(self, node, args: Sequence[str]) -> str:
        return f"alloc({', '.join(args)})"


def _lengths(shape, what: str) -> list:
    """A shape given as an int, a list or tuple of ints and integer scalars, or x.shape, as a
    list of lengths for alloc."""
    if isinstance(shape, (int, np.integer)):
        return [shape]
    if isinstance(shape, (list, tuple)):
        return list(shape)
    shape = as_tensor_variable(shape, f"shape of {what}")
    if shape.ndim == 0:
        return [shape]
    if isinstance(shape, Constant) and shape.ndim == 1:
        return [int(s) for s in shape.data]
    if shape.owner is not None and isinstance(shape.owner.op, Shape):
        return [shape_i(shape.owner.inputs[0], d) for d in range(shape.owner.inputs[0].ndim)]
    raise TypeError(f"the shape of {what} must be an int, a list or tuple of lengths, or x.shape; "
                    f"got {shape} ({shape.type})")


def zeros(shape, dtype: str | None = None):
    """A new array of `shape` filled with 0, of dtype config.floatX unless one is given."""
    return alloc(np.array(0, dtype=dtype or config.floatX), *_lengths(shape, "zeros"))


def ones(shape, dtype: str | None = None):
    """A new array of `shape` filled with 1, of dtype config.floatX unless one is given."""
    return alloc(np.array(1, dtype=dtype or config.floatX), *_lengths(shape, "ones"))


class Eye(Op):
    """eye(n, m, k): the n x m matrix of `dtype` with ones on diagonal k (above the main one for
    k > 0, below it for k < 0) and zeros elsewhere, as NumPy's eye."""

    __props__ = ("dtype",)

    def __init__(self, dtype: str):
        self.dtype = dtype

    def make_node(self, n, m, k) -> Apply:
        inputs = []
        for what, v in (("n", n), ("m", m), ("k", k)):
            v = as_tensor_variable(v, f"{what} of eye")
            if v.ndim != 0 or v.dtype not in INT_DTYPES:
                raise TypeError(f"the {what} of eye must be an integer scalar; got {v} ({v.type})")
            inputs.append(v)
        return Apply(self, inputs, [TensorType(self.dtype, (False, False))()])

    def perform(self, node, inputs):
        n, m, k = (int(v) for v in inputs)
        if n < 0 or m < 0:
            raise ValueError(f"{self}: negative length in shape ({n}, {m})")
        return [np.eye(n, m, k, dtype=self.dtype)]

    def grad(self, inputs, outputs, output_grads):
        return [None, None, None]  # integer inputs: lengths and an offset

    def infer_shape(self, node, input_shapes):
        """(n, m), neither negative."""
        from graphlab_kernel.tensor import lengths as L
        from graphlab_kernel.tensor.shape_checks import Checks
        n, m = (L.length(v) for v in node.inputs[:2])
        checks = Checks(self)
        checks.require([L.ge(n, 0), L.ge(m, 0)], "negative length in shape ", [n, m])
        return [checks.apply([n, m])]

    def pp(self, node, args: Sequence[str]) -> str:
        return f"eye({', '.join(args)})"


def eye(n, m=None, k=0, dtype: str | None = None):
    """The n x m matrix (m = n by default) with ones on diagonal k, zeros elsewhere (of dtype
    config.floatX unless one is given)."""
    return Eye(str(np.dtype(dtype or config.floatX)))(n, n if m is None else m, k)


def identity_like(x):
    """The identity matrix of x's shape and dtype (ones where the row index is the column's)."""
    x = as_tensor_variable(x, "input of identity_like")
    if x.ndim != 2:
        raise TypeError(f"identity_like needs a matrix; got {x} ({x.type})")
    return eye(shape_i(x, 0), shape_i(x, 1), dtype=x.dtype)


def alloc(value, *lengths):
    """A new array of shape `lengths` filled with `value` (broadcast from the right)."""
    from graphlab_kernel.tensor.var import constant
    lengths = [constant(s, dtype="int64") if isinstance(s, (int, np.integer)) else s
               for s in lengths]
    return Alloc()(value, *lengths)


class ARange(Op):
    """arange(start, stop, step): the vector start, start + step, ... up to stop (excluded), of
    `dtype`, as NumPy's arange. Its length, ceil((stop - start) / step) or 0, depends on the
    values of the three scalar inputs."""

    __props__ = ("dtype",)

    def __init__(self, dtype: str):
        self.dtype = dtype

    def make_node(self, start, stop, step) -> Apply:
        inputs = []
        for what, v in (("start", start), ("stop", stop), ("step", step)):
            v = as_tensor_variable(v, f"{what} of arange")
            if v.ndim != 0 or v.dtype == "bool" or v.dtype not in INT_DTYPES + FLOAT_DTYPES:
                raise TypeError(f"the {what} of arange must be an integer or float scalar; got "
                                f"{v} ({v.type})")
            inputs.append(v)
        return Apply(self, inputs, [TensorType(self.dtype, (False,))()])

    def perform(self, node, inputs):
        start, stop, step = (x.item() for x in inputs)
        if step == 0:
            raise ValueError(f"{self}: the step must not be zero")
        length = math.ceil((stop - start) / step) if np.isfinite((stop - start) / step) else None
        if length is None:
            raise ValueError(f"{self}: cannot compute the length of a range from {start:g} to "
                             f"{stop:g} by {step:g}")
        if abs(length) >= 9.2e18:  # as the C backend (NumPy's own message is less clear)
            raise ValueError(f"{self}: the range from {start} to {stop} by {step} is too long")
        return [np.arange(start, stop, step, dtype=self.dtype)]

    def grad(self, inputs, outputs, output_grads):
        """out[i] = start + i * step: d/dstart = sum(gz), d/dstep = sum(gz * i); stop only sets
        the length (no gradient), and integer ranges have none."""
        if self.dtype in DISCRETE_DTYPES:
            return [None, None, None]
        from graphlab_kernel.tensor.math import sum as sum_
        (gz,), (out,) = output_grads, outputs
        positions = ARange(self.dtype)(0, shape_i(out, 0), 1)
        return [_cast_to(sum_(gz), inputs[0].dtype), None,
                _cast_to(sum_(gz * positions), inputs[2].dtype)]

    def infer_shape(self, node, input_shapes):
        """ceil((stop - start) / step), or 0 when negative, as perform computes it: exactly for
        integer bounds, in float64 otherwise; checked as perform checks (a step of 0, a length
        that is not a number or is beyond the int64 range)."""
        from graphlab_kernel.tensor import lengths as L
        from graphlab_kernel.tensor.shape_checks import Checks
        checks = Checks(self)
        if all(v.dtype in INT_DTYPES for v in node.inputs):
            start, stop, step = (L.length(v) for v in node.inputs)
            checks.require([L.ne(step, 0)], "the step must not be zero")
            count = L.ceil_div(L.sub(stop, start), step)
            checks.require([L.lt(L.maximum(count, L.neg(count)), _TOO_LONG)], "the range from ",
                           start, " to ", stop, " by ", step, " is too long")
            return [checks.apply([L.maximum(count, 0)])]
        from graphlab_kernel.tensor import math as M
        start, stop, step = (_cast_to(v, "float64") for v in node.inputs)
        checks.require([M.neq(step, 0)], "the step must not be zero")
        count = M.ceil((stop - start) / step)
        finite = M.invert(M.or_(M.isnan(count), M.isinf(count)))
        checks.require([finite], "cannot compute the length of a range from ", start, " to ",
                       stop, " by ", step)
        short = M.lt(M.abs(count), float(_TOO_LONG))
        checks.require([short], "the range from ", start, " to ", stop, " by ", step,
                       " is too long")
        usable = M.switch(M.and_(finite, short), M.maximum(count, 0.0), 0.0)
        return [checks.apply([_cast_to(usable, "int64")])]

    def pp(self, node, args: Sequence[str]) -> str:
        return f"arange({', '.join(args)})"


_TOO_LONG = 9_200_000_000_000_000_000  # perform's bound (9.2e18), as the C backend's


def arange(start, stop=None, step=1, dtype: str | None = None):
    """The vector [start, start + step, ...) up to stop, as NumPy's arange (and Theano's):
    `arange(n)` is 0 .. n-1. The dtype is int64 when every argument is an integer, else float64,
    unless `dtype` is given."""
    if stop is None:
        start, stop = 0, start
    start, stop, step = (as_tensor_variable(v, f"{what} of arange")
                         for what, v in (("start", start), ("stop", stop), ("step", step)))
    if dtype is None:
        ints = all(v.dtype in INT_DTYPES for v in (start, stop, step))
        dtype = "int64" if ints else "float64"
    return ARange(str(np.dtype(dtype)))(start, stop, step)
