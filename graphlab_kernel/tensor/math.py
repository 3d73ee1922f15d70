"""Elementwise functions, reductions and dot products on tensors."""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence

import numpy as np

from graphlab_kernel.gof.graph import Apply
from graphlab_kernel.gof.op import Op
from graphlab_kernel.tensor import scalar_ops as S
from graphlab_kernel.tensor.elemwise import Elemwise, dimshuffle
from graphlab_kernel.tensor.type import DISCRETE_DTYPES, TensorType
from graphlab_kernel.tensor.var import as_tensor_variable, as_tensor_variables

__all__ = [
    "add", "sub", "mul", "true_div", "int_div", "mod", "pow", "maximum", "minimum", "neg", "abs",
    "abs_", "sgn", "sqr", "floor", "ceil", "round_half_to_even", "round", "lt", "le", "gt", "ge",
    "eq", "neq", "isnan", "isinf", "and_", "or_", "xor", "invert", "bitwise_and", "bitwise_or",
    "bitwise_xor", "bitwise_not", "switch", "where", "clip", "second", "fill", "identity", "exp",
    "log", "log1p", "expm1", "log2", "log10", "sqrt", "sin", "cos", "tan", "arcsin", "arccos",
    "arctan", "sinh", "cosh", "tanh", "sigmoid", "softplus", "erf", "cast", "Reduce", "ArgReduce",
    "sum", "prod", "max", "min", "all", "any", "argmax", "argmin", "mean", "var", "std", "Dot",
    "dot", "outer", "tensordot", "zeros_like", "ones_like",
]

# --- elementwise ----------------------------------------------------------------------------------

add = Elemwise(S.add)
sub = Elemwise(S.sub)
mul = Elemwise(S.mul)
true_div = Elemwise(S.true_div)
int_div = Elemwise(S.int_div)
mod = Elemwise(S.mod)
pow = Elemwise(S.pow)
maximum = Elemwise(S.maximum)
minimum = Elemwise(S.minimum)
neg = Elemwise(S.neg)
abs = Elemwise(S.abs_)
abs_ = abs
sgn = Elemwise(S.sgn)
sqr = Elemwise(S.sqr)
floor = Elemwise(S.floor)
ceil = Elemwise(S.ceil)
round_half_to_even = Elemwise(S.round_half_to_even)
round = round_half_to_even
lt, le, gt, ge = Elemwise(S.lt), Elemwise(S.le), Elemwise(S.gt), Elemwise(S.ge)
eq, neq = Elemwise(S.eq), Elemwise(S.neq)
isnan, isinf = Elemwise(S.isnan), Elemwise(S.isinf)
and_, or_, xor, invert = Elemwise(S.and_), Elemwise(S.or_), Elemwise(S.xor), Elemwise(S.invert)
bitwise_and, bitwise_or, bitwise_xor, bitwise_not = and_, or_, xor, invert
switch = Elemwise(S.switch)
where = switch
clip = Elemwise(S.clip)
second = Elemwise(S.second)
fill = second
identity = Elemwise(S.identity)

_unary = {name: Elemwise(op) for name, op in S.UNARY_FLOAT_OPS.items()}
exp, log, log1p, expm1 = _unary["exp"], _unary["log"], _unary["log1p"], _unary["expm1"]
log2, log10, sqrt = _unary["log2"], _unary["log10"], _unary["sqrt"]
sin, cos, tan = _unary["sin"], _unary["cos"], _unary["tan"]
arcsin, arccos, arctan = _unary["arcsin"], _unary["arccos"], _unary["arctan"]
sinh, cosh, tanh = _unary["sinh"], _unary["cosh"], _unary["tanh"]
sigmoid, softplus, erf = _unary["sigmoid"], _unary["softplus"], _unary["erf"]


def cast(x, dtype: str):
    """x converted to `dtype` (x itself if it already has it)."""
    x = as_tensor_variable(x, "cast input")
    dtype = str(np.dtype(dtype))
    if x.dtype == dtype:
        return x
    return Elemwise(S.Cast(dtype))(x)


# --- reductions -----------------------------------------------------------------------------------


def _normalize_axis(x, axis) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(x.ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    result = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or not -x.ndim <= a < builtins.max(x.ndim, 1):
            raise ValueError(f"axis {a!r} is out of range for {x} with {x.ndim} dimension(s)")
        result.append(int(a) % builtins.max(x.ndim, 1))
    if len(set(result)) != len(result):
        raise ValueError(f"axis {axis!r} repeats an axis")
    return tuple(sorted(result))


class Reduce(Op):
    """Reduce over `axis` (a sorted tuple of axes) with one of: sum, prod, max, min, all, any.

    The reduced axes are dropped; `keepdims` is a DimShuffle after it.
    """

    __props__ = ("kind", "axis")
    _numpy = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min,
              "all": np.all, "any": np.any}
    c_identity = {"sum": "0", "prod": "1", "max": "-INFINITY", "min": "INFINITY",
                  "all": "1", "any": "0"}
    c_combine = {"sum": "{acc} + {x}", "prod": "{acc} * {x}", "max": "gl_max({acc}, {x})",
                 "min": "gl_min({acc}, {x})", "all": "{acc} && {x}", "any": "{acc} || {x}"}

    def __init__(self, kind: str, axis: tuple[int, ...]):
        if kind not in self._numpy:
            raise ValueError(f"unknown reduction {kind!r}")
        self.kind, self.axis = kind, tuple(axis)

    def __str__(self) -> str:
        return f"{self.kind.capitalize()}{{axis={list(self.axis)}}}"

    def output_dtype(self, dtype: str) -> str:
        if self.kind in ("all", "any"):
            return "bool"
        if self.kind in ("sum", "prod") and dtype in DISCRETE_DTYPES:  # NumPy's accumulators
            return "uint64" if dtype.startswith("uint") else "int64"
        return dtype

    def make_node(self, x) -> Apply:
        x = as_tensor_variable(x, f"input of {self}")
        if builtins.any(a >= x.ndim for a in self.axis) and x.ndim:
            raise ValueError(f"{self} cannot reduce {x}, which has {x.ndim} dimension(s)")
        bcast = tuple(b for d, b in enumerate(x.broadcastable) if d not in self.axis)
        return Apply(self, [x], [TensorType(self.output_dtype(x.dtype), bcast)()])

    def perform(self, node, inputs):
        (x,) = inputs
        out_dtype = node.outputs[0].dtype
        if self.kind in ("max", "min") and x.size == 0 and builtins.any(x.shape[a] == 0 for a in self.axis):
            raise ValueError(f"{self}: cannot take the {self.kind} of an empty array of shape {x.shape}")
        with np.errstate(all="ignore"):
            result = self._numpy[self.kind](x, axis=self.axis)
        return [np.asarray(result, dtype=out_dtype)]

    def grad(self, inputs, outputs, output_grads):
        (x,), (out,), (gz,) = inputs, outputs, output_grads
        if x.dtype in DISCRETE_DTYPES or self.kind in ("all", "any"):
            return [None]
        keep = _restore_axes(x, self.axis)
        gz_full = second(x, dimshuffle(gz, keep))
        if self.kind == "sum":
            return [gz_full]
        if self.kind == "prod":
            return [gz_full * _prod_of_others(x, self.axis, keep)]
        # max / min: the gradient goes to every element equal to the extremum
        return [gz_full * cast(eq(x, dimshuffle(out, keep)), x.dtype)]

    def infer_shape(self, node, input_shapes):
        """The input's shape without the reduced axes; max and min check they are not empty."""
        (shape,) = input_shapes
        checks = _checks(self)
        if self.kind in ("max", "min"):
            _require_nonempty(checks, self, shape)
        return [checks.apply([n for d, n in enumerate(shape) if d not in self.axis])]

    def pp(self, node, args: Sequence[str]) -> str:
        if len(self.axis) == len(node.inputs[0].broadcastable):
            return f"{self.kind}({args[0]})"
        return f"{self.kind}({args[0]}, axis={list(self.axis)})"


def _checks(op):
    from graphlab_kernel.tensor.shape_checks import Checks
    return Checks(op)


def _require_nonempty(checks, op, shape) -> None:
    """The reduced axes of a max, min, argmax or argmin must not be empty."""
    from graphlab_kernel.tensor import lengths as L
    checks.require([L.gt(shape[a], 0) for a in op.axis if a < len(shape)],
                   f"cannot take the {op.kind} of an empty array of shape ", shape)


def _prod_of_others(x, axes: Sequence[int], keep: list):
    """For each element, the product of the other elements of its reduction group.

    prod / x would divide by zero; instead count the zeros: with none it is prod / x, with exactly
    one it is the product of the nonzero elements at the zero and 0 elsewhere, with more it is 0.
    """
    is_zero = eq(x, 0)
    zeros = dimshuffle(Reduce("sum", tuple(axes))(cast(is_zero, "int64")), keep)
    nonzero_prod = dimshuffle(Reduce("prod", tuple(axes))(switch(is_zero, 1, x)), keep)
    safe_x = switch(is_zero, 1, x)
    return switch(eq(zeros, 0), nonzero_prod / safe_x,
                  switch(and_(eq(zeros, 1), is_zero), nonzero_prod, 0))


def _restore_axes(x, axes: Sequence[int]) -> list:
    """The DimShuffle pattern that puts reduced axes back as broadcastable dimensions."""
    pattern, kept = [], 0
    for d in range(x.ndim):
        if d in axes:
            pattern.append("x")
        else:
            pattern.append(kept)
            kept += 1
    return pattern


def _reduce(kind: str, x, axis=None, keepdims: bool = False):
    x = as_tensor_variable(x, f"input of {kind}")
    axes = _normalize_axis(x, axis)
    out = Reduce(kind, axes)(x) if axes else cast(x, Reduce(kind, ()).output_dtype(x.dtype))
    if keepdims:
        out = dimshuffle(out, _restore_axes(x, axes))
    return out


def sum(x, axis=None, keepdims: bool = False):
    """Sum over `axis` (None: all axes)."""
    return _reduce("sum", x, axis, keepdims)


def prod(x, axis=None, keepdims: bool = False):
    """Product over `axis`."""
    return _reduce("prod", x, axis, keepdims)


def max(x, axis=None, keepdims: bool = False):
    """Maximum over `axis`."""
    return _reduce("max", x, axis, keepdims)


def min(x, axis=None, keepdims: bool = False):
    """Minimum over `axis`."""
    return _reduce("min", x, axis, keepdims)


def all(x, axis=None, keepdims: bool = False):
    """Whether every element over `axis` is true."""
    return _reduce("all", x, axis, keepdims)


def any(x, axis=None, keepdims: bool = False):
    """Whether some element over `axis` is true."""
    return _reduce("any", x, axis, keepdims)


class ArgReduce(Op):
    """The index of the maximum (kind 'argmax') or minimum ('argmin') over `axis`, a sorted tuple;
    over several axes, the index counts their elements in C order."""

    __props__ = ("kind", "axis")

    def __init__(self, kind: str, axis: tuple[int, ...]):
        if kind not in ("argmax", "argmin"):
            raise ValueError(f"unknown index reduction {kind!r}")
        self.kind, self.axis = kind, tuple(axis)

    def __str__(self) -> str:
        return f"{self.kind.capitalize()}{{axis={list(self.axis)}}}"

    def make_node(self, x) -> Apply:
        x = as_tensor_variable(x, f"input of {self}")
        if builtins.any(a >= x.ndim for a in self.axis):
            raise ValueError(f"{self} cannot reduce {x}, which has {x.ndim} dimension(s)")
        bcast = tuple(b for d, b in enumerate(x.broadcastable) if d not in self.axis)
        return Apply(self, [x], [TensorType("int64", bcast)()])

    def perform(self, node, inputs):
        (x,) = inputs
        if builtins.any(x.shape[a] == 0 for a in self.axis):
            raise ValueError(f"{self}: cannot take the {self.kind} of an empty array of shape "
                             f"{x.shape}")
        k = len(self.axis)
        moved = np.moveaxis(x, self.axis, range(x.ndim - k, x.ndim))
        reduced = math.prod(x.shape[a] for a in self.axis)  # not -1: a kept axis may be empty
        flat = moved.reshape(moved.shape[:x.ndim - k] + (reduced,))
        result = np.argmax(flat, axis=-1) if self.kind == "argmax" else np.argmin(flat, axis=-1)
        return [np.asarray(result, dtype="int64")]

    def grad(self, inputs, outputs, output_grads):
        return [None]

    def infer_shape(self, node, input_shapes):
        """The input's shape without the reduced axes, which must not be empty."""
        (shape,) = input_shapes
        checks = _checks(self)
        _require_nonempty(checks, self, shape)
        return [checks.apply([n for d, n in enumerate(shape) if d not in self.axis])]

    def pp(self, node, args: Sequence[str]) -> str:
        return f"{self.kind}({args[0]}, axis={list(self.axis)})"


def _arg_reduce(kind: str, x, axis, keepdims: bool):
    x = as_tensor_variable(x, f"input of {kind}")
    axes = _normalize_axis(x, axis)
    if not axes:
        return zeros_like(x, dtype="int64")
    out = ArgReduce(kind, axes)(x)
    return dimshuffle(out, _restore_axes(x, axes)) if keepdims else out


def argmax(x, axis=None, keepdims: bool = False):
    """The index of the maximum over `axis` (None: over the flattened array)."""
    return _arg_reduce("argmax", x, axis, keepdims)


def argmin(x, axis=None, keepdims: bool = False):
    """The index of the minimum over `axis` (None: over the flattened array)."""
    return _arg_reduce("argmin", x, axis, keepdims)


def _count(x, axes: Sequence[int]):
    """The number of elements reduced over `axes`, as a float64 scalar variable."""
    from graphlab_kernel.tensor.shape import shape_i
    n = None
    for a in axes:
        length = shape_i(x, a)
        n = length if n is None else n * length
    if n is None:
        return as_tensor_variable(1.0)
    return cast(n, "float64")


def mean(x, axis=None, keepdims: bool = False):
    """Arithmetic mean over `axis`. Integers and booleans are summed as float64, as NumPy sums
    them (an int64 sum would wrap around)."""
    x = as_tensor_variable(x, "input of mean")
    axes = _normalize_axis(x, axis)
    if x.dtype in DISCRETE_DTYPES:
        x = cast(x, "float64")
    total = sum(x, axes, keepdims)
    count = _count(x, axes)
    return true_div(total, cast(count, total.dtype) if total.dtype != "float64" else count)


def var(x, axis=None, keepdims: bool = False):
    """Variance over `axis` (the mean squared deviation, ddof=0)."""
    x = as_tensor_variable(x, "input of var")
    centered = x - mean(x, axis, keepdims=True)
    return mean(sqr(centered), axis, keepdims)


def std(x, axis=None, keepdims: bool = False):
    """Standard deviation over `axis` (ddof=0)."""
    return sqrt(var(x, axis, keepdims))


# --- dot products ---------------------------------------------------------------------------------


class Dot(Op):
    """The dot product of two tensors of rank 1 or 2 (vector-vector, matrix-vector, ...)."""

    def make_node(self, x, y) -> Apply:
        x, y = as_tensor_variables([x, y], ["first input of dot", "second input of dot"])
        if x.ndim not in (1, 2) or y.ndim not in (1, 2):
            raise TypeError(f"Dot takes vectors and matrices; got {x} ({x.type}) and {y} ({y.type})")
        bcast = x.broadcastable[:-1] + y.broadcastable[1:] if y.ndim == 2 else x.broadcastable[:-1]
        if y.ndim == 2 and x.ndim == 1:
            bcast = (y.broadcastable[1],)
        dtype = S.upcast(x.dtype, y.dtype)
        return Apply(self, [x, y], [TensorType(dtype, bcast)()])

    def perform(self, node, inputs):
        x, y = inputs
        if x.shape[-1] != y.shape[0]:
            raise ValueError(f"Dot: shapes {x.shape} and {y.shape} are not aligned "
                             f"({x.shape[-1]} != {y.shape[0]})")
        return [np.asarray(np.dot(x, y), dtype=node.outputs[0].dtype)]

    def grad(self, inputs, outputs, output_grads):
        (x, y), (gz,) = inputs, output_grads
        if x.ndim == 1 and y.ndim == 1:
            gx, gy = gz * y, gz * x
        elif x.ndim == 2 and y.ndim == 1:
            gx, gy = outer(gz, y), dot(x.T, gz)
        elif x.ndim == 1 and y.ndim == 2:
            gx, gy = dot(y, gz), outer(x, gz)
        else:
            gx, gy = dot(gz, y.T), dot(x.T, gz)
        return [gx, gy]

    def infer_shape(self, node, input_shapes):
        """x's shape but its last axis, then y's but its first; their lengths must agree."""
        from graphlab_kernel.tensor import lengths as L
        sx, sy = input_shapes
        checks = _checks(self)
        checks.require([L.eq(sx[-1], sy[0])], "shapes ", sx, " and ", sy, " are not aligned (",
                       sx[-1], " != ", sy[0], ")")
        return [checks.apply(sx[:-1] + sy[1:])]

    def pp(self, node, args: Sequence[str]) -> str:
        return f"({args[0]} \\dot {args[1]})"


_dot = Dot()


def dot(x, y):
    """The dot product: a matrix product for matrices, an inner product for vectors; a scalar
    operand multiplies elementwise."""
    x, y = as_tensor_variables([x, y], ["first input of dot", "second input of dot"])
    if x.ndim == 0 or y.ndim == 0:
        return mul(x, y)
    if x.ndim <= 2 and y.ndim <= 2:
        return _dot(x, y)
    return tensordot(x, y, axes=[[x.ndim - 1], [builtins.max(0, y.ndim - 2)]])


def outer(x, y):
    """The outer product of two vectors."""
    x, y = as_tensor_variables([x, y], ["first input of outer", "second input of outer"])
    if x.ndim != 1 or y.ndim != 1:
        raise TypeError(f"outer takes two vectors; got {x.type} and {y.type}")
    return _dot(dimshuffle(x, (0, "x")), dimshuffle(y, ("x", 0)))


def tensordot(a, b, axes=2):
    """Sum products over the given axes of a and b, as numpy.tensordot does."""
    from graphlab_kernel.tensor.shape import reshape, transpose
    from graphlab_kernel.tensor.shape import shape as shape_of
    a, b = as_tensor_variables([a, b], ["first input of tensordot", "second input of tensordot"])
    if isinstance(axes, (int, np.integer)):
        axes_a = list(range(a.ndim - axes, a.ndim))
        axes_b = list(range(axes))
    else:
        axes_a, axes_b = ([axes[0]] if isinstance(axes[0], int) else list(axes[0]),
                          [axes[1]] if isinstance(axes[1], int) else list(axes[1]))
    axes_a = [ax % a.ndim for ax in axes_a]
    axes_b = [ax % b.ndim for ax in axes_b]
    if len(axes_a) != len(axes_b):
        raise ValueError(f"tensordot: axes {axes_a} and {axes_b} have different lengths")
    free_a = [d for d in range(a.ndim) if d not in axes_a]
    free_b = [d for d in range(b.ndim) if d not in axes_b]
    at = transpose(a, free_a + axes_a)
    bt = transpose(b, axes_b + free_b)
    sa, sb = shape_of(at), shape_of(bt)
    k = len(axes_a)
    a2 = reshape(at, [_prod_of(sa, range(len(free_a))), _prod_of(sa, range(len(free_a), a.ndim))],
                 ndim=2)
    b2 = reshape(bt, [_prod_of(sb, range(k)), _prod_of(sb, range(k, b.ndim))], ndim=2)
    out_shape = [sa[i] for i in range(len(free_a))] + [sb[k + i] for i in range(len(free_b))]
    return reshape(_dot(a2, b2), out_shape, ndim=len(out_shape))


def _prod_of(shape_var, indices):
    result = None
    for i in indices:
        result = shape_var[i] if result is None else result * shape_var[i]
    return as_tensor_variable(np.int64(1)) if result is None else result


def zeros_like(x, dtype: str | None = None):
    """An array of zeros with the shape (and by default the dtype) of x."""
    x = as_tensor_variable(x, "input of zeros_like")
    from graphlab_kernel.tensor.var import constant
    return second(x, constant(0, dtype=dtype or x.dtype))


def ones_like(x, dtype: str | None = None):
    """An array of ones with the shape (and by default the dtype) of x."""
    x = as_tensor_variable(x, "input of ones_like")
    from graphlab_kernel.tensor.var import constant
    return second(x, constant(1, dtype=dtype or x.dtype))
