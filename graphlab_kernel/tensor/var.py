"""TensorVariable, TensorConstant and the conversion of Python values into graph variables."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphlab_kernel.gof.graph import Constant, Variable
from graphlab_kernel.tensor.type import TensorType


class TensorVariable(Variable):
    """A symbolic array: a Variable of a TensorType, with NumPy-like operators and methods."""

    type: TensorType

    # -- what the type says ----------------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return self.type.ndim

    @property
    def dtype(self) -> str:
        return self.type.dtype

    @property
    def broadcastable(self) -> tuple[bool, ...]:
        return self.type.broadcastable

    # -- arithmetic ------------------------------------------------------------------------------
    def __add__(self, other): return _math.add(self, other)
    def __radd__(self, other): return _math.add(other, self)
    def __sub__(self, other): return _math.sub(self, other)
    def __rsub__(self, other): return _math.sub(other, self)
    def __mul__(self, other): return _math.mul(self, other)
    def __rmul__(self, other): return _math.mul(other, self)
    def __truediv__(self, other): return _math.true_div(self, other)
    def __rtruediv__(self, other): return _math.true_div(other, self)
    def __floordiv__(self, other): return _math.int_div(self, other)
    def __rfloordiv__(self, other): return _math.int_div(other, self)
    def __mod__(self, other): return _math.mod(self, other)
    def __rmod__(self, other): return _math.mod(other, self)
    def __pow__(self, other): return _math.pow(self, other)
    def __rpow__(self, other): return _math.pow(other, self)
    def __neg__(self): return _math.neg(self)
    def __abs__(self): return _math.abs(self)
    def __matmul__(self, other): return _math.dot(self, other)
    def __rmatmul__(self, other): return _math.dot(other, self)

    # -- comparison and logic (== stays identity, as in Theano: use T.eq) ------------------------
    def __lt__(self, other): return _math.lt(self, other)
    def __le__(self, other): return _math.le(self, other)
    def __gt__(self, other): return _math.gt(self, other)
    def __ge__(self, other): return _math.ge(self, other)
    def __and__(self, other): return _math.and_(self, other)
    def __rand__(self, other): return _math.and_(other, self)
    def __or__(self, other): return _math.or_(self, other)
    def __ror__(self, other): return _math.or_(other, self)
    def __xor__(self, other): return _math.xor(self, other)
    def __rxor__(self, other): return _math.xor(other, self)
    def __invert__(self): return _math.invert(self)

    __hash__ = Variable.__hash__

    def __bool__(self):
        raise TypeError(f"the symbolic variable {self} has no truth value; compare values with "
                        "T.eq / T.switch inside the graph, or evaluate it first")

    def __iter__(self):
        raise TypeError(f"the symbolic variable {self} cannot be iterated; index it instead")

    def __len__(self):
        raise TypeError(f"the symbolic variable {self} has no static length; use .shape[0]")

    # -- methods ---------------------------------------------------------------------------------
    def __getitem__(self, key): return _subtensor.getitem(self, key)
    @property
    def T(self): return _shape.transpose(self)
    @property
    def shape(self): return _shape.shape(self)
    @property
    def size(self): return _shape.size(self)
    def transpose(self, *axes): return _shape.transpose(self, axes or None)
    def dimshuffle(self, *pattern):
        if len(pattern) == 1 and isinstance(pattern[0], (list, tuple)):
            pattern = tuple(pattern[0])
        return _elemwise.dimshuffle(self, pattern)
    def reshape(self, *shape, ndim=None):
        if len(shape) == 1 and not isinstance(shape[0], int):
            shape = shape[0]
        return _shape.reshape(self, shape, ndim=ndim)
    def flatten(self, ndim=1): return _shape.flatten(self, ndim)
    def astype(self, dtype): return _math.cast(self, dtype)
    def sum(self, axis=None, keepdims=False): return _math.sum(self, axis, keepdims)
    def prod(self, axis=None, keepdims=False): return _math.prod(self, axis, keepdims)
    def mean(self, axis=None, keepdims=False): return _math.mean(self, axis, keepdims)
    def var(self, axis=None, keepdims=False): return _math.var(self, axis, keepdims)
    def std(self, axis=None, keepdims=False): return _math.std(self, axis, keepdims)
    def max(self, axis=None, keepdims=False): return _math.max(self, axis, keepdims)
    def min(self, axis=None, keepdims=False): return _math.min(self, axis, keepdims)
    def argmax(self, axis=None, keepdims=False): return _math.argmax(self, axis, keepdims)
    def argmin(self, axis=None, keepdims=False): return _math.argmin(self, axis, keepdims)
    def all(self, axis=None, keepdims=False): return _math.all(self, axis, keepdims)
    def any(self, axis=None, keepdims=False): return _math.any(self, axis, keepdims)
    def dot(self, other): return _math.dot(self, other)
    def diagonal(self, offset=0, axis1=0, axis2=1):
        return _diagonal.diagonal(self, offset, axis1, axis2)
    def trace(self, offset=0, axis1=0, axis2=1):
        return _diagonal.trace(self, offset, axis1, axis2)
    def sort(self, axis=-1, kind="quicksort", order=None):
        return _sort.sort(self, axis, kind, order)
    def argsort(self, axis=-1, kind="quicksort", order=None):
        return _sort.argsort(self, axis, kind, order)
    def cumsum(self, axis=None): return _extra.cumsum(self, axis)
    def cumprod(self, axis=None): return _extra.cumprod(self, axis)
    def repeat(self, repeats, axis=None): return _extra.repeat(self, repeats, axis)
    def squeeze(self, axis=None): return _broadcasting.squeeze(self, axis)
    def nonzero(self, return_matrix=False): return _nonzero.nonzero(self, return_matrix)
    def nonzero_values(self): return _nonzero.nonzero_values(self)
    def clip(self, lo, hi): return _math.clip(self, lo, hi)
    def exp(self): return _math.exp(self)
    def log(self): return _math.log(self)
    def sqrt(self): return _math.sqrt(self)
    def round(self): return _math.round(self)

    def eval(self, inputs_to_values: dict | None = None) -> np.ndarray:
        """Compile (once per set of inputs) and evaluate this variable for the given input values."""
        from graphlab_kernel.compile.function import function
        inputs_to_values = dict(inputs_to_values or {})
        inputs = list(inputs_to_values)
        key = tuple(id(v) for v in inputs)
        cache = self.__dict__.setdefault("_eval_cache", {})
        if key not in cache:
            cache[key] = function(inputs, self)
        return cache[key](*[inputs_to_values[v] for v in inputs])


class TensorConstant(TensorVariable, Constant):
    """A constant array in the graph; prints as `TensorConstant{value}`."""

    def __init__(self, type: TensorType, data: Any, name: str | None = None):
        data = type.filter(np.array(data, copy=True), name="constant")
        data.setflags(write=False)
        Constant.__init__(self, type, data, name)

    def signature(self) -> tuple:
        return (self.type, self.data.shape, self.data.tobytes())

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        return f"TensorConstant{{{format_constant(self.data)}}}"

    __repr__ = __str__


def format_constant(data: np.ndarray) -> str:
    """The short text for a constant's value: the value itself when small, a summary otherwise."""
    if data.ndim == 0:
        return str(data)
    if data.size <= 10:
        return np.array2string(data, separator=" ").replace("\n", "")
    flat = data.reshape(-1)
    if np.all(flat == flat[0]):
        return f"{data.shape} of {flat[0]}"
    return f"{data.shape} array"


def _smallest_int_dtype(value: int) -> str:
    for dtype in ("int8", "int16", "int32", "int64"):
        info = np.iinfo(dtype)
        if info.min <= value <= info.max:
            return dtype
    if 0 <= value <= np.iinfo("uint64").max:
        return "uint64"
    raise OverflowError(f"the integer {value} does not fit in 64 bits")


def _weak_scalar_dtype(value: Any, partner_dtype: str | None) -> str:
    """The dtype for a Python number so that it never upcasts the tensor it is combined with."""
    kind = np.dtype(partner_dtype).kind if partner_dtype else None
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, int):
        if kind in ("i", "u") and np.iinfo(partner_dtype).min <= value <= np.iinfo(partner_dtype).max:
            return partner_dtype
        return _smallest_int_dtype(value)
    if isinstance(value, float):
        if kind == "f":
            return partner_dtype
        if kind == "c":
            return "float32" if partner_dtype == "complex64" else "float64"
        return "float64"
    if isinstance(value, complex):
        return partner_dtype if kind == "c" else "complex128"
    raise TypeError(value)


def constant(value: Any, name: str | None = None, dtype: str | None = None) -> TensorConstant:
    """Return a TensorConstant holding `value` (Python ints get the smallest int dtype)."""
    if dtype is None:
        if isinstance(value, (bool, int, float, complex)) and not isinstance(value, np.generic):
            dtype = _weak_scalar_dtype(value, None)
        else:
            dtype = np.asarray(value).dtype
    data = np.asarray(value)
    if data.dtype.kind in "OUSV":
        raise TypeError(f"cannot make a constant from {value!r}: expected a number or an array")
    data = data.astype(dtype)
    return TensorConstant(TensorType(data.dtype, tuple(s == 1 for s in data.shape)), data, name)


def as_tensor_variable(value: Any, name: str = "input", partner_dtype: str | None = None
                       ) -> TensorVariable:
    """Return `value` as a TensorVariable, making a constant of a Python or NumPy value.

    A Python number combined with a tensor of `partner_dtype` takes a dtype that does not upcast it.
    """
    if isinstance(value, TensorVariable):
        return value
    if isinstance(value, Variable):
        raise TypeError(f"{name} must be a tensor variable; got {value} of type {value.type}")
    if isinstance(value, (list, tuple)) and any(isinstance(v, Variable) for v in _flatten(value)):
        from graphlab_kernel.tensor.shape import stack
        return stack([as_tensor_variable(v, name) for v in value])
    if isinstance(value, (bool, int, float, complex)) and not isinstance(value, np.generic):
        return constant(value, dtype=_weak_scalar_dtype(value, partner_dtype))
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a tensor or a number; got {type(value).__name__} "
                        f"{value!r}")
    try:
        return constant(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a tensor or a number; got {type(value).__name__}: "
                        f"{exc}") from None


def _flatten(seq):
    stack = [seq]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        else:
            yield item


def as_tensor_variables(values, names=None) -> list[TensorVariable]:
    """Convert several operands together: Python numbers adopt the dtype of the tensors among them."""
    names = names or [f"input {i}" for i in range(len(values))]
    partner = None
    for v in values:
        if isinstance(v, TensorVariable):
            partner = v.dtype if partner is None else str(np.result_type(partner, v.dtype))
        elif isinstance(v, np.ndarray):
            partner = str(v.dtype) if partner is None else str(np.result_type(partner, v.dtype))
    return [as_tensor_variable(v, n, partner) for v, n in zip(values, names)]


from graphlab_kernel.tensor import diagonal as _diagonal  # noqa: E402  (cycle: ops build on var)
from graphlab_kernel.tensor import broadcasting as _broadcasting  # noqa: E402
from graphlab_kernel.tensor import extra_ops as _extra  # noqa: E402
from graphlab_kernel.tensor import nonzero as _nonzero  # noqa: E402
from graphlab_kernel.tensor import sort as _sort  # noqa: E402
from graphlab_kernel.tensor import elemwise as _elemwise  # noqa: E402
from graphlab_kernel.tensor import math as _math  # noqa: E402
from graphlab_kernel.tensor import shape as _shape  # noqa: E402
from graphlab_kernel.tensor import subtensor as _subtensor  # noqa: E402
