"""THE list of every tensor op, as data: each case builds an output from symbolic inputs and names
the NumPy function that is its reference.

Backend-agnostic on purpose: tests/tensor/test_ops.py runs every case on the default backend, and
a backend's own tests run the same list with `function(inputs, out, backend=...)`. Adding an op
without a case here makes `test_every_public_op_has_a_case` fail.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import graphlab_kernel.tensor as T
from graphlab_kernel.tensor.type import TensorType


@dataclass(frozen=True)
class Input:
    """One input: dtype, shape, and the interval its random values come from.

    `nonzero` keeps values at least `low` away from zero, with random signs (low must be > 0);
    `broadcastable` defaults to no broadcastable axis.
    """

    dtype: str
    shape: tuple[int, ...]
    low: float = -2.0
    high: float = 2.0
    nonzero: bool = False
    broadcastable: tuple[bool, ...] | None = None

    def variable(self, name: str, dtype: str | None = None):
        """A fresh symbolic variable of this input's type (optionally with another dtype)."""
        bcast = self.broadcastable or (False,) * len(self.shape)
        return TensorType(dtype or self.dtype, bcast)(name)

    def value(self, rng: np.random.Generator, dtype: str | None = None) -> np.ndarray:
        """A random value of this input's shape and domain."""
        dtype = np.dtype(dtype or self.dtype)
        if dtype == np.bool_:
            return rng.random(self.shape) < 0.5
        if dtype.kind in "iu":
            lo, hi = int(self.low), int(self.high)
            wide = np.uint64 if hi > np.iinfo(np.int64).max else np.int64
            values = rng.integers(lo, hi, size=self.shape, endpoint=True, dtype=wide)
            if self.nonzero:
                values = np.where(values == 0, hi if hi != 0 else lo, values)
            return values.astype(dtype)
        values = rng.uniform(self.low, self.high, size=self.shape)
        if self.nonzero:
            values = values * rng.choice([-1.0, 1.0], size=self.shape)
        return values.astype(dtype)


@dataclass(frozen=True)
class OpCase:
    """An op applied to inputs: `name` is 'function/variant', the function being a name in
    graphlab_kernel.tensor (or tensor.nnet) that the case exercises; `covers` lists others."""

    name: str
    build: Callable
    reference: Callable
    inputs: tuple[Input, ...]
    differentiable: bool = True
    covers: tuple[str, ...] = ()

    @property
    def function_name(self) -> str:
        return self.name.split("/")[0]


def F(*shape: int, dtype: str = "float64", **domain) -> Input:
    """A float input (float64 unless dtype is given)."""
    return Input(dtype, shape, **domain)


def I(*shape: int, dtype: str = "int32", low: int = -5, high: int = 5, **kw) -> Input:  # noqa: E743
    """An integer input (int32 unless dtype is given)."""
    return Input(dtype, shape, low, high, **kw)


def B(*shape: int) -> Input:
    """A boolean input."""
    return Input("bool", shape)


POS = {"low": 0.5, "high": 2.0}
NONZERO = {"low": 0.5, "high": 2.0, "nonzero": True}
UNIT = {"low": -0.9, "high": 0.9}
ROW = (True, False)
COL = (False, True)

CASES: list[OpCase] = []


def case(name: str, build: Callable, reference: Callable, *inputs: Input,
         differentiable: bool | None = None, covers: tuple[str, ...] = ()) -> None:
    """Add one case to CASES; by default it is differentiable when some input is a float."""
    if differentiable is None:
        differentiable = any(np.dtype(i.dtype).kind == "f" for i in inputs)
    CASES.append(OpCase(name, build, reference, tuple(inputs), differentiable, covers))


# --- arithmetic -------------------------------------------------------------------------------

case("add/operator", lambda x, y: x + y, np.add, F(3, 4), F(3, 4))
case("add/matrix+row", lambda x, y: x + y, np.add, F(3, 4), F(1, 4, broadcastable=ROW))
case("add/matrix+col", lambda x, y: T.add(x, y), np.add, F(3, 4), F(3, 1, broadcastable=COL))
case("add/matrix+vector", lambda x, y: x + y, np.add, F(3, 4), F(4))
case("add/scalar+tensor3", lambda x, y: x + y, np.add, F(), F(2, 3, 4))
case("add/float32+python", lambda x: x + 2, lambda x: x + 2, F(3, dtype="float32"))
case("add/python+int8", lambda x: 3 + x, lambda x: 3 + x, I(4, dtype="int8"))
case("add/int32+float32", lambda x, y: x + y, np.add, I(3), F(3, dtype="float32"))
case("add/int8+int16", lambda x, y: x + y, np.add, I(3, dtype="int8"), I(3, dtype="int16"))
case("add/bool+int32", lambda x, y: x + y, np.add, B(3), I(3))
case("sub/operator", lambda x, y: x - y, np.subtract, F(3, 4), F(1, 4, broadcastable=ROW))
case("sub/python-float32", lambda x: 1.5 - x, lambda x: 1.5 - x, F(2, 3, dtype="float32"))
case("sub/function", lambda x, y: T.sub(x, y), np.subtract, I(3, dtype="int64"), I(3))
case("mul/operator", lambda x, y: x * y, np.multiply, F(3, 1, broadcastable=COL),
     F(1, 4, broadcastable=ROW))
case("mul/fmatrix*2", lambda x: x * 2, lambda x: x * 2, F(2, 3, dtype="float32"))
case("mul/function", lambda x, y: T.mul(x, y), np.multiply, F(3), F())
case("true_div/operator", lambda x, y: x / y, np.true_divide, F(3, 4), F(3, 4, **NONZERO))
case("true_div/vector/scalar", lambda x, y: T.true_div(x, y), np.true_divide, F(4), F(**NONZERO))
case("true_div/python/float32", lambda x: 1.0 / x, lambda x: 1.0 / x, F(3, dtype="float32", **POS))
case("true_div/int32/int32", lambda x, y: x / y, np.true_divide, I(4), I(4, nonzero=True, low=1))
case("int_div/ints", lambda x, y: x // y, np.floor_divide, I(6), I(6, low=1, nonzero=True),
     differentiable=False)
case("int_div/floats", lambda x, y: T.int_div(x, y), np.floor_divide, F(6), F(6, **NONZERO),
     differentiable=False)
case("mod/floats", lambda x, y: x % y, np.mod, F(6), F(6, **NONZERO))
case("mod/ints", lambda x, y: T.mod(x, y), np.mod, I(6), I(6, low=1, nonzero=True),
     differentiable=False)
case("pow/float**float", lambda x, y: x ** y, np.power, F(3, 4, **POS), F(3, 4))
case("pow/float**python", lambda x: x ** 3, lambda x: x ** 3, F(5))
case("pow/python**float", lambda x: 2.0 ** x, lambda x: 2.0 ** x, F(5))
case("pow/float32**int", lambda x, y: T.pow(x, y), np.power, F(5, dtype="float32", **POS),
     I(5, low=0, high=3))
case("pow/int**int", lambda x, y: x ** y, np.power, I(5), I(5, low=0, high=3),
     differentiable=False)
case("maximum/broadcast", lambda x, y: T.maximum(x, y), np.maximum, F(3, 4), F(4))
case("maximum/int", lambda x, y: T.maximum(x, y), np.maximum, I(5), I(5, dtype="int8"),
     differentiable=False)
case("minimum/broadcast", lambda x, y: T.minimum(x, y), np.minimum, F(3, 1, broadcastable=COL),
     F(3, 4))
case("neg/operator", lambda x: -x, np.negative, F(3, 4))
case("neg/function-int", lambda x: T.neg(x), np.negative, I(4), differentiable=False)
case("abs/operator", lambda x: abs(x), np.abs, F(3, 4))
case("abs/function", lambda x: T.abs(x), np.abs, F(5, dtype="float32"))
case("abs/int", lambda x: T.abs_(x), np.abs, I(5, dtype="int16"), differentiable=False)
case("sgn/float", lambda x: T.sgn(x), np.sign, F(6))
case("sgn/int", lambda x: T.sgn(x), np.sign, I(6), differentiable=False)
case("sqr/float", lambda x: T.sqr(x), np.square, F(3, 4))
case("sqr/int", lambda x: T.sqr(x), np.square, I(4), differentiable=False)
case("floor/float", lambda x: T.floor(x), np.floor, F(6, low=-3, high=3))
case("ceil/float32", lambda x: T.ceil(x), np.ceil, F(6, dtype="float32", low=-3, high=3))
case("round/float", lambda x: T.round(x), np.round, F(6, low=-3, high=3))
case("round_half_to_even/halves", lambda x: T.round_half_to_even(x), np.round,
     Input("float64", (8,), -4, 4))
# rounding an integer returns it: through float64, 2**63 - 1 would round up and overflow
case("round/int64-near-max", lambda x: T.round(x), np.round,
     I(6, dtype="int64", low=2**63 - 600, high=2**63 - 1), differentiable=False)
case("floor/uint64-near-max", lambda x: T.floor(x), lambda v: v.copy(),
     I(6, dtype="uint64", low=2**64 - 600, high=2**64 - 1), differentiable=False)
case("identity/float", lambda x: T.identity(x), np.copy, F(3, 2))

# --- elementwise functions --------------------------------------------------------------------


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _erf(x):
    return np.vectorize(math.erf, otypes=[x.dtype if x.dtype.kind == "f" else "float64"])(x)


UNARY = [  # name, NumPy reference, domain
    ("exp", np.exp, {}), ("log", np.log, POS), ("log1p", np.log1p, UNIT),
    ("expm1", np.expm1, {}), ("log2", np.log2, POS), ("log10", np.log10, POS),
    ("sqrt", np.sqrt, POS), ("sin", np.sin, {}), ("cos", np.cos, {}), ("tan", np.tan, UNIT),
    ("arcsin", np.arcsin, UNIT), ("arccos", np.arccos, UNIT), ("arctan", np.arctan, {}),
    ("sinh", np.sinh, {}), ("cosh", np.cosh, {}), ("tanh", np.tanh, {}),
    ("sigmoid", _sigmoid, {}), ("softplus", lambda x: np.logaddexp(0, x), {}), ("erf", _erf, {}),
]
for _name, _ref, _domain in UNARY:
    _fn = getattr(T, _name)
    case(f"{_name}/float64", _fn, _ref, F(3, 4, **_domain))
    case(f"{_name}/float32", _fn, _ref, F(5, dtype="float32", **_domain))
case("exp/int32", T.exp, np.exp, I(4), differentiable=False)
case("sqrt/int64", T.sqrt, np.sqrt, I(4, dtype="int64", low=0, high=9), differentiable=False)
case("sigmoid/nnet", T.nnet.sigmoid, _sigmoid, F(4, low=-30, high=30))
case("softplus/nnet", T.nnet.softplus, lambda x: np.logaddexp(0, x), F(4, low=-30, high=30))

case("clip/python-bounds", lambda x: T.clip(x, -0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5),
     F(3, 4))
case("clip/method-float32", lambda x: x.clip(-1, 1), lambda x: np.clip(x, -1, 1),
     F(6, dtype="float32"))
case("clip/tensor-bounds", T.clip, lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi),
     F(3, 4), F(4, low=-1, high=0), F(3, 1, low=0, high=1, broadcastable=COL))
case("switch/broadcast", T.switch, np.where, B(3, 4), F(3, 4), F(4))
case("switch/where-scalar", lambda c, x: T.where(c, x, 0.0), lambda c, x: np.where(c, x, 0.0),
     B(5), F(5, dtype="float32"))
case("cast/float64-to-float32", lambda x: T.cast(x, "float32"), lambda x: x.astype("float32"),
     F(3, 4), differentiable=False)  # a float32 cost is too coarse for finite differences
case("cast/float32-to-float64", lambda x: T.cast(x, "float64") * x,
     lambda x: x.astype("float64") * x, F(3, dtype="float32"))
case("cast/astype-int", lambda x: x.astype("int32"), lambda x: x.astype("int32"),
     F(5, low=-5, high=5), differentiable=False)
case("cast/int-to-float", lambda x: T.cast(x, "float64"), lambda x: x.astype("float64"), I(4),
     differentiable=False)

# --- comparison and logic ---------------------------------------------------------------------

for _name, _op, _ref in [("lt", "<", np.less), ("le", "<=", np.less_equal),
                         ("gt", ">", np.greater), ("ge", ">=", np.greater_equal)]:
    _fn = getattr(T, _name)
    case(f"{_name}/operator", eval(f"lambda x, y: x {_op} y"), _ref, F(3, 4), F(4),
         differentiable=False)
    case(f"{_name}/int-python", lambda x, _f=_fn: _f(x, 1), lambda x, _r=_ref: _r(x, 1), I(6),
         differentiable=False)
case("eq/int", T.eq, np.equal, I(3, 4, low=0, high=2), I(3, 4, low=0, high=2),
     differentiable=False)
case("eq/float-python", lambda x: T.eq(x, 0.5), lambda x: np.equal(x, 0.5),
     Input("float64", (3,), 0.5, 0.5), differentiable=False)


def _quietly(fn):
    """fn, computed without NumPy's warnings for the NaN and infinities it is there to make."""
    def reference(*args):
        with np.errstate(all="ignore"):
            return fn(*args)
    return reference


case("isnan/of-log", lambda x: T.isnan(T.log(x)), _quietly(lambda x: np.isnan(np.log(x))), F(8))
case("isnan/int", T.isnan, np.isnan, I(4, dtype="int16"))
case("isinf/of-exp", lambda x: T.isinf(T.exp(x)), _quietly(lambda x: np.isinf(np.exp(x))),
     F(8, dtype="float32", low=-200, high=200))
case("isinf/uint8", T.isinf, np.isinf, I(3, dtype="uint8", low=0, high=255))
case("neq/int", T.neq, np.not_equal, I(3, 4, low=0, high=2), I(4, low=0, high=2),
     differentiable=False)
for _name, _op, _ref in [("and_", "&", np.bitwise_and), ("or_", "|", np.bitwise_or),
                         ("xor", "^", np.bitwise_xor)]:
    _fn = getattr(T, _name)
    case(f"{_name}/operator-bool", eval(f"lambda x, y: x {_op} y"), _ref, B(3, 4), B(4),
         differentiable=False)
    case(f"{_name}/function-int", _fn, _ref, I(5, low=0, high=15), I(5, dtype="int8"),
         differentiable=False)
case("invert/operator-bool", lambda x: ~x, np.invert, B(6), differentiable=False)
case("invert/function-int", T.invert, np.invert, I(6, dtype="int16"), differentiable=False)

# --- reductions -------------------------------------------------------------------------------


def _reduction_cases(name: str, ref: Callable, value: Input, differentiable: bool = True) -> None:
    fn = getattr(T, name)
    case(f"{name}/all-axes", fn, ref, value, differentiable=differentiable)
    case(f"{name}/axis=0", lambda x: fn(x, axis=0), lambda x: ref(x, axis=0), value,
         differentiable=differentiable)
    case(f"{name}/axis=-1,keepdims", lambda x: fn(x, axis=-1, keepdims=True),
         lambda x: ref(x, axis=-1, keepdims=True), value, differentiable=differentiable)
    case(f"{name}/axis=(0,2)-3d", lambda x: fn(x, axis=(0, 2)), lambda x: ref(x, axis=(0, 2)),
         Input(value.dtype, (2, 3, 4), value.low, value.high, value.nonzero),
         differentiable=differentiable)
    case(f"{name}/method,keepdims-all", lambda x: getattr(x, name)(keepdims=True),
         lambda x: ref(x, keepdims=True), value, differentiable=differentiable)


_reduction_cases("sum", np.sum, F(3, 4))
_reduction_cases("mean", np.mean, F(3, 4))
_reduction_cases("var", np.var, F(3, 4))
_reduction_cases("std", np.std, F(3, 4))
_reduction_cases("max", np.max, F(3, 4))
_reduction_cases("min", np.min, F(3, 4))
_reduction_cases("prod", np.prod, F(3, 4, **NONZERO))
_reduction_cases("all", np.all, B(3, 4), differentiable=False)
_reduction_cases("any", np.any, B(3, 4), differentiable=False)
case("sum/int32", lambda x: T.sum(x, axis=1), lambda x: np.sum(x, axis=1), I(3, 4),
     differentiable=False)
case("sum/bool", T.sum, np.sum, B(3, 4), differentiable=False)
case("sum/float32", lambda x: T.sum(x, axis=0), lambda x: np.sum(x, axis=0),
     F(3, 4, dtype="float32"))
case("sum/row-broadcast-axis", lambda x: T.sum(x, axis=0), lambda x: np.sum(x, axis=0),
     F(1, 4, broadcastable=ROW))
case("sum/scalar", T.sum, np.sum, I(dtype="int16"), differentiable=False)
case("sum/uint8", lambda x: T.sum(x, axis=0), lambda x: np.sum(x, axis=0),
     I(3, 4, dtype="uint8", low=0, high=255), differentiable=False)
case("prod/uint16", lambda x: T.prod(x, axis=1), lambda x: np.prod(x, axis=1),
     I(3, 4, dtype="uint16", low=0, high=65535), differentiable=False)
case("mean/int", lambda x: T.mean(x, axis=-1), lambda x: np.mean(x, axis=-1), I(3, 4),
     differentiable=False)
# NumPy sums integers as float64 for a mean: their int64 sum would wrap around
case("mean/int64-large", T.mean, np.mean, I(3, 4, dtype="int64", low=2**61, high=2**62),
     differentiable=False)
case("var/uint64-large", lambda x: T.var(x, axis=0), lambda x: np.var(x, axis=0),
     I(3, 4, dtype="uint64", low=2**62, high=2**64 - 1), differentiable=False)
case("mean/bool", lambda x: T.mean(x, axis=1), lambda x: np.mean(x, axis=1), B(3, 4),
     differentiable=False)
case("mean/float32", T.mean, np.mean, F(3, 4, dtype="float32"))
case("var/float32-axis", lambda x: T.var(x, axis=1), lambda x: np.var(x, axis=1),
     F(3, 4, dtype="float32"))
case("max/int8", lambda x: T.max(x, axis=-2), lambda x: np.max(x, axis=-2),
     I(3, 4, dtype="int8"), differentiable=False)
case("prod/int", lambda x: T.prod(x, axis=0), lambda x: np.prod(x, axis=0), I(3, 4),
     differentiable=False)
case("any/int", lambda x: T.any(x, axis=1), lambda x: np.any(x, axis=1), I(3, 4, low=0, high=1),
     differentiable=False)
case("all/float", lambda x: T.all(x), lambda x: np.all(x), F(5), differentiable=False)


def _arg_reference(fn: Callable) -> Callable:
    """numpy.argmax / argmin generalized to a tuple of axes (counting their elements in C order)."""
    def reference(x, axis=None, keepdims=False):
        axes = tuple(range(x.ndim)) if axis is None else (
            (axis,) if isinstance(axis, int) else axis)
        axes = tuple(sorted(a % x.ndim for a in axes))
        moved = np.moveaxis(x, axes, range(x.ndim - len(axes), x.ndim))
        out = fn(moved.reshape(moved.shape[:x.ndim - len(axes)] + (-1,)), axis=-1)
        if keepdims:
            out = np.expand_dims(out, axes)
        return np.asarray(out, dtype="int64")
    return reference


for _name, _np in [("argmax", np.argmax), ("argmin", np.argmin)]:
    _reduction_cases(_name, _arg_reference(_np), F(3, 4), differentiable=False)
    case(f"{_name}/int-axis=-1", lambda x, _n=_name: getattr(T, _n)(x, axis=-1),
         lambda x, _r=_arg_reference(_np): _r(x, axis=-1),  # noqa: B008 (bound per op)
         I(3, 4, low=-50, high=50),
         differentiable=False)

# --- dot products -----------------------------------------------------------------------------

case("dot/vector.vector", T.dot, np.dot, F(4), F(4))
case("dot/matrix.vector", T.dot, np.dot, F(3, 4), F(4))
case("dot/vector.matrix", T.dot, np.dot, F(3), F(3, 4))
case("dot/matrix.matrix", T.dot, np.dot, F(2, 3), F(3, 4))
case("dot/matmul-operator", lambda x, y: x @ y, np.matmul, F(2, 3), F(3, 4))
case("dot/method-float32", lambda x, y: x.dot(y), np.dot, F(2, 3, dtype="float32"),
     F(3, dtype="float32"))
case("dot/scalar.matrix", T.dot, np.dot, F(), F(2, 3))
case("dot/int.float", T.dot, np.dot, I(2, 3), F(3, 2, dtype="float32"), differentiable=False)
case("dot/row.col", T.dot, np.dot, F(1, 3, broadcastable=ROW), F(3, 1, broadcastable=COL))
case("dot/tensor3.matrix", T.dot, np.dot, F(2, 3, 4), F(4, 2))
case("outer/vectors", T.outer, np.outer, F(3), F(4))
case("tensordot/axes=1", lambda x, y: T.tensordot(x, y, axes=1),
     lambda x, y: np.tensordot(x, y, axes=1), F(2, 3), F(3, 4))
case("tensordot/axes=2-3d", lambda x, y: T.tensordot(x, y, axes=2),
     lambda x, y: np.tensordot(x, y, axes=2), F(2, 3, 4), F(3, 4, 2))
case("tensordot/explicit-negative-axes", lambda x, y: T.tensordot(x, y, axes=[[0, -1], [1, 0]]),
     lambda x, y: np.tensordot(x, y, axes=[[0, -1], [1, 0]]), F(2, 3, 4), F(4, 2, 5))

# --- shapes -----------------------------------------------------------------------------------

case("reshape/tuple", lambda x: T.reshape(x, (4, 3)), lambda x: x.reshape(4, 3), F(3, 4))
case("reshape/minus-one-method", lambda x: x.reshape((2, -1, 3)), lambda x: x.reshape(2, -1, 3),
     F(3, 4))
case("reshape/symbolic-length", lambda x: x.reshape((x.shape[1], x.shape[0])),
     lambda x: x.reshape(x.shape[1], x.shape[0]), F(2, 5))
case("reshape/int-to-vector", lambda x: x.reshape(-1), lambda x: x.reshape(-1), I(2, 3),
     differentiable=False)
case("reshape/to-scalar", lambda x: x.reshape(()), lambda x: x.reshape(()),
     F(1, 1, broadcastable=(True, True)))
case("flatten/default", T.flatten, lambda x: x.reshape(-1), F(2, 3, 4))
case("flatten/ndim=2-method", lambda x: x.flatten(2), lambda x: x.reshape(x.shape[0], -1),
     F(2, 3, 4))
case("flatten/ndim=2-zero-length-first-axis", lambda x: x.flatten(2),
     lambda x: x.reshape(x.shape[0], x.shape[1] * x.shape[2]), F(0, 3, 4))
case("flatten/ndim=3-zero-length-kept-axis", lambda x: T.flatten(x, 3),
     lambda x: x.reshape(x.shape[0], x.shape[1], x.shape[2] * x.shape[3]), F(2, 0, 3, 2))
case("transpose/T", lambda x: x.T, lambda x: x.T, F(3, 4))
case("transpose/axes", lambda x: T.transpose(x, (1, 2, 0)), lambda x: x.transpose(1, 2, 0),
     F(2, 3, 4))
case("transpose/method-negative", lambda x: x.transpose(-1, 0, 1), lambda x: x.transpose(2, 0, 1),
     I(2, 3, 4), differentiable=False)
case("dimshuffle/add-axes", lambda x: x.dimshuffle("x", 1, "x", 0),
     lambda x: x.T[None, :, None, :], F(3, 4))
case("dimshuffle/drop-broadcastable", lambda x: T.dimshuffle(x, (1,)), lambda x: x[0],
     F(1, 4, broadcastable=ROW))
case("concatenate/axis=0", lambda x, y: T.concatenate([x, y]), lambda x, y: np.concatenate([x, y]),
     F(2, 3), F(4, 3))
case("concatenate/axis=-1-mixed-dtypes", lambda x, y, z: T.concatenate([x, y, z], axis=-1),
     lambda x, y, z: np.concatenate([x, y, z], axis=-1), F(2, 3, dtype="float32"),
     F(2, 1, broadcastable=COL), I(2, 2))
case("concatenate/ints", lambda x, y: T.concatenate([x, y]), lambda x, y: np.concatenate([x, y]),
     I(3, dtype="int8"), I(2), differentiable=False)
case("stack/axis=0", lambda x, y: T.stack([x, y]), lambda x, y: np.stack([x, y]), F(3), F(3))
case("stack/axis=-1", lambda x, y: T.stack([x, y], axis=-1),
     lambda x, y: np.stack([x, y], axis=-1), F(2, 3), F(2, 3, dtype="float32"))
case("stack/scalars", lambda x, y: T.stack([x, y, x]), lambda x, y: np.stack([x, y, x]), F(), F())
case("stack/list-as-tensor", lambda x, y: T.as_tensor_variable([x, y]) * 2,
     lambda x, y: np.stack([x, y]) * 2, F(), F())
case("shape/matrix", T.shape, lambda x: np.array(x.shape, dtype="int64"), F(3, 4),
     differentiable=False)
case("shape/attribute-int", lambda x: x.shape, lambda x: np.array(x.shape, dtype="int64"),
     I(2, 3, 4), differentiable=False)
case("shape_i/axis1", lambda x: T.shape_i(x, 1), lambda x: np.array(x.shape[1], dtype="int64"),
     F(3, 4), differentiable=False)
case("size/function", T.size, lambda x: np.array(x.size, dtype="int64"), F(3, 4),
     differentiable=False)
case("size/attribute-scalar", lambda x: x.size, lambda x: np.array(1, dtype="int64"), F(),
     differentiable=False)
case("zeros_like/float32", T.zeros_like, np.zeros_like, F(3, 4, dtype="float32"))
case("zeros_like/dtype", lambda x: T.zeros_like(x, dtype="int64"),
     lambda x: np.zeros_like(x, dtype="int64"), F(3), differentiable=False)
case("ones_like/int", T.ones_like, np.ones_like, I(3, 4), differentiable=False)
case("ones_like/float", lambda x: T.ones_like(x) * x, lambda x: np.ones_like(x) * x, F(3))
case("fill/tensor-value", T.fill, lambda x, y: np.broadcast_to(y, x.shape).copy(), F(3, 4), F(4))
case("fill/python-value", lambda x: T.fill(x, 2.0), lambda x: np.full_like(x, 2.0),
     F(3, dtype="float32"), differentiable=False)
case("second/scalar", T.second, lambda x, y: np.broadcast_to(y, x.shape).copy(), F(2, 3), F())
case("alloc/scalar-value", lambda v: T.alloc(v, 2, 3), lambda v: np.full((2, 3), v), F())
case("alloc/vector-value", lambda v: T.alloc(v, 2, 1, 3), lambda v: np.broadcast_to(v, (2, 1, 3)),
     F(3))
case("alloc/symbolic-shape", lambda v, x: T.alloc(v, x.shape[0], 3),
     lambda v, x: np.full((x.shape[0], 3), v), F(dtype="float32"), I(4),
     differentiable=True)
case("zeros/symbolic-length", lambda n: T.zeros((n, 2)), lambda n: np.zeros((n, 2)),
     I(dtype="int64", low=0, high=4))
case("zeros/of-a-shape", lambda x: T.zeros(x.shape, dtype="int32") + x,
     lambda x: np.zeros(x.shape, dtype="int32") + x, I(2, 3, dtype="int8"))
case("ones/float32", lambda: T.ones(3, dtype="float32"), lambda: np.ones(3, dtype="float32"))
case("eye/square", lambda n: T.eye(n), lambda n: np.eye(n), I(dtype="int64", low=0, high=5))
case("eye/offset", lambda n, m: T.eye(n, m, k=-1, dtype="int32"),
     lambda n, m: np.eye(n, m, k=-1, dtype="int32"), I(dtype="int64", low=1, high=4),
     I(dtype="int64", low=0, high=5))
case("identity_like/matrix", lambda x: T.identity_like(x) * x,
     lambda x: np.eye(*x.shape) * x, F(3, 4))
case("join/axis-1", lambda x, y: T.join(1, x, y), lambda x, y: np.concatenate([x, y], axis=1),
     F(2, 3), F(2, 1))
case("shape_padleft/two", lambda x: T.shape_padleft(x, 2) + x, lambda x: x[None, None] + x, F(3))
case("shape_padright/one", lambda x, y: T.shape_padright(x) * y, lambda x, y: x[:, None] * y,
     F(3), F(4))
case("shape_padaxis/middle", lambda x: T.shape_padaxis(x, 1), lambda x: np.expand_dims(x, 1),
     F(2, 3))
case("arange/stop", T.arange, lambda n: np.arange(n), I(dtype="int64", low=0, high=9))
case("arange/start-stop-step", T.arange, lambda a, b, h: np.arange(a, b, h), I(low=-9, high=9),
     I(dtype="int64", low=-9, high=9), I(dtype="int16", low=-3, high=3, nonzero=True))
case("arange/uint8-bounds", T.arange, lambda a, b: np.arange(a, b), I(dtype="uint8", low=0,
     high=6), I(dtype="uint8", low=3, high=12))
case("arange/float-start-and-step", lambda a, h: T.arange(a, 3.0, h),
     lambda a, h: np.arange(a.item(), 3.0, h.item()), F(), F(low=0.3, high=1.5))
case("arange/negative-float-step", lambda a, h: T.arange(a, -2, h),
     lambda a, h: np.arange(a.item(), -2, h.item()), F(), F(low=-0.9, high=-0.2))
case("arange/float32", lambda n: T.arange(1, n, dtype="float32") * 0.5,
     lambda n: np.arange(1, n, dtype="float32") * np.float32(0.5), I(dtype="int64", low=0,
                                                                      high=9))
case("arange/of-a-shape", lambda y: T.arange(y.shape[0]) * y,
     lambda y: np.arange(y.shape[0]) * y, F(5))

# --- indexing ---------------------------------------------------------------------------------


def _set(x, key, y, add=False):
    out = x.copy()
    if add:
        out[key] += y
    else:
        out[key] = y
    return out


case("getitem/int", lambda x: x[1], lambda x: x[1], F(3, 4), covers=("Subtensor",))
case("getitem/negative-int", lambda x: x[-1], lambda x: x[-1], F(3, 4))
case("getitem/two-ints", lambda x: x[1, -2], lambda x: np.asarray(x[1, -2]), F(3, 4))
case("getitem/slice", lambda x: x[1:3], lambda x: x[1:3], F(4, 3))
case("getitem/step", lambda x: x[::2, 1:], lambda x: x[::2, 1:], F(5, 3))
case("getitem/negative-step", lambda x: x[::-1], lambda x: x[::-1], F(5))
case("getitem/negative-bounds", lambda x: x[-3:-1, ::-2], lambda x: x[-3:-1, ::-2], F(4, 5))
case("getitem/ellipsis-3d", lambda x: x[..., 0], lambda x: x[..., 0], F(2, 3, 4))
case("getitem/full-slice", lambda x: x[:], lambda x: x[:], F(4))
case("getitem/int-dtype", lambda x: x[1:, 0], lambda x: x[1:, 0], I(3, 4), differentiable=False)
case("getitem/symbolic-index", lambda x, i: x[i], lambda x, i: x[i], F(4, 3), I(dtype="int64",
     low=-4, high=3))
case("getitem/symbolic-slice", lambda x, i: x[i:, :i], lambda x, i: x[i:, :i], F(4, 3),
     I(dtype="int32", low=0, high=3))
case("set_subtensor/slice", lambda x, y: T.set_subtensor(x[1:3], y),
     lambda x, y: _set(x, slice(1, 3), y), F(4, 3), F(2, 3), covers=("IncSubtensor",))
case("set_subtensor/int-broadcast", lambda x, y: T.set_subtensor(x[:, -1], y),
     lambda x, y: _set(x, (slice(None), -1), y), F(4, 3), F())
case("set_subtensor/python-value", lambda x: T.set_subtensor(x[::2], 0),
     lambda x: _set(x, slice(None, None, 2), 0), F(5, dtype="float32"))
case("set_subtensor/int", lambda x, y: T.set_subtensor(x[0], y), lambda x, y: _set(x, 0, y),
     I(3, 2), I(2, dtype="int8"), differentiable=False)
case("inc_subtensor/slice-row", lambda x, y: T.inc_subtensor(x[1:, ::2], y),
     lambda x, y: _set(x, (slice(1, None), slice(None, None, 2)), y, add=True), F(4, 5),
     F(1, 3, broadcastable=ROW))
case("inc_subtensor/symbolic", lambda x, y, i: T.inc_subtensor(x[i], y),
     lambda x, y, i: _set(x, i, y, add=True), F(4, 3), F(3), I(dtype="int64", low=-4, high=3))

# --- advanced (integer array) indexing ---------------------------------------------------------
# Index arrays are drawn from [-length, length - 1] of their axis: negative ones, and repeats
# (random draws, and the constant lists). The C table runs each also on strided, reversed views
# of every input, the index arrays included.


def _add_at(x, key, y):
    out = x.copy()
    np.add.at(out, key, y)
    return out


IV = I(6, dtype="int64", low=-4, high=3)  # for an axis of length 4
ONE = (True,)

case("getitem/int-vector", lambda x, i: x[i], lambda x, i: x[i], F(4, 3), IV,
     covers=("AdvancedSubtensor1",))
case("getitem/list-repeated-negative", lambda x: x[[0, 2, 0, -1, -4]],
     lambda x: x[[0, 2, 0, -1, -4]], F(4, 3))
case("getitem/uint8-vector-of-vector", lambda x, i: x[i], lambda x, i: x[i], F(5),
     I(7, dtype="uint8", low=0, high=4))
case("getitem/int32-vector-3d-float32", lambda x, i: x[i], lambda x, i: x[i],
     F(3, 2, 4, dtype="float32"), I(4, dtype="int32", low=-3, high=2))
case("getitem/int-vector-of-ints", lambda x, i: x[i, ...], lambda x, i: x[i], I(4, 3),
     I(5, dtype="int16", low=-4, high=3))
case("getitem/int-vector-of-transposed", lambda x, i: x.T[i], lambda x, i: x.T[i], F(3, 4), IV)
case("getitem/empty-int-vector", lambda x, i: x[i], lambda x, i: x[i], F(4, 3),
     I(0, dtype="int64"))
case("getitem/int-vector-zero-length-rows", lambda x, i: x[i], lambda x, i: x[i], F(4, 0), IV)
case("advanced_subtensor1/function", T.advanced_subtensor1, lambda x, i: x[i], F(4, 2),
     I(3, dtype="int8", low=-4, high=3))
case("getitem/coordinates", lambda m, i, j: m[i, j], lambda m, i, j: m[i, j], F(4, 5), IV,
     I(6, dtype="int32", low=-5, high=4), covers=("AdvancedSubtensor",))
case("getitem/coordinates-length-1-broadcasts", lambda m, i, j: m[i, j],
     lambda m, i, j: m[i, j], F(4, 5), I(1, dtype="int64", low=-4, high=3),
     I(5, dtype="uint16", low=0, high=4))
case("getitem/coordinates-broadcastable-type", lambda m, i, j: m[i, j],
     lambda m, i, j: m[i, j], F(4, 5), I(5, low=-4, high=3),
     I(1, dtype="int64", low=0, high=4, broadcastable=ONE))
case("getitem/coordinates-3d-trailing-slice", lambda t, i, j: t[i, j, :],
     lambda t, i, j: t[i, j, :], F(3, 4, 2), I(5, dtype="uint8", low=0, high=2),
     I(5, dtype="int16", low=-4, high=3))
case("getitem/coordinates-with-int", lambda m, i: m[i, -1] + m[0, i],
     lambda m, i: m[i, -1] + m[0, i], F(4, 4), IV)
case("getitem/coordinates-empty", lambda m, i, j: m[i, j], lambda m, i, j: m[i, j], F(4, 5),
     I(0, dtype="int64"), I(0, dtype="int32"))
case("getitem/log-likelihood-rows", lambda p, y: -T.mean(T.log(p)[[0, 1, 2], y]),
     lambda p, y: -np.mean(np.log(p)[[0, 1, 2], y]), F(3, 4, **POS),
     I(3, dtype="int32", low=0, high=3))
case("advanced_subtensor/function", T.advanced_subtensor, lambda m, i, j: m[i, j], F(4, 5), IV,
     I(6, dtype="int8", low=-5, high=4))
case("inc_subtensor/int-vector", lambda x, y, i: T.inc_subtensor(x[i], y),
     lambda x, y, i: _add_at(x, i, y), F(4, 3), F(6, 3), IV, covers=("AdvancedIncSubtensor1",))
case("inc_subtensor/list-repeated-broadcast-row", lambda x, y: T.inc_subtensor(x[[1, 1, -1]], y),
     lambda x, y: _add_at(x, [1, 1, -1], y), F(4, 3), F(3))
case("inc_subtensor/uint8-vector-scalar-value", lambda x, y, i: T.inc_subtensor(x[i], y),
     lambda x, y, i: _add_at(x, i, y), F(6), F(), I(8, dtype="uint8", low=0, high=5))
case("inc_subtensor/int-vector-float32-value-transposed",
     lambda x, y, i: T.inc_subtensor(x.T[i], y), lambda x, y, i: _add_at(x.T, i, y), F(3, 4),
     F(6, 1, dtype="float32", broadcastable=COL), IV)
case("inc_subtensor/int-vector-of-ints", lambda x, y, i: T.inc_subtensor(x[i], y),
     lambda x, y, i: _add_at(x, i, y), I(4, 3, dtype="int8"), I(3, dtype="int8"), IV)
case("inc_subtensor/empty-int-vector", lambda x, y, i: T.inc_subtensor(x[i], y),
     lambda x, y, i: _add_at(x, i, y), F(4, 3), F(3), I(0, dtype="int64"))
case("advanced_inc_subtensor1/function", T.advanced_inc_subtensor1,
     lambda x, y, i: _add_at(x, i, y), F(4, 2), F(2), I(5, dtype="int32", low=-4, high=3))
# set_subtensor's gradient wrt y reaches the last write to each place only (as NumPy, the last
# write wins), repeated indices included
case("set_subtensor/list-distinct", lambda x, y: T.set_subtensor(x[[2, -1, 0]], y),
     lambda x, y: _set(x, [2, -1, 0], y), F(4, 3), F(3, 3))
case("set_subtensor/int-vector-repeated", lambda x, y, i: T.set_subtensor(x[i], y),
     lambda x, y, i: _set(x, i, y), F(4, 3), F(6, 3), IV)
case("set_subtensor/int32-vector-python-value", lambda x, i: T.set_subtensor(x[i], 0.5),
     lambda x, i: _set(x, i, 0.5), F(4, 3, dtype="float32"), I(5, dtype="int32", low=-4, high=3))
case("advanced_set_subtensor1/function", lambda x, y: T.advanced_set_subtensor1(x, y, [3, 0]),
     lambda x, y: _set(x, [3, 0], y), F(4, 2), F(2, 2))
case("inc_subtensor/coordinates", lambda m, y, i, j: T.inc_subtensor(m[i, j], y),
     lambda m, y, i, j: _add_at(m, (i, j), y), F(4, 5), F(6), IV,
     I(6, dtype="int32", low=-5, high=4), covers=("AdvancedIncSubtensor",))
case("inc_subtensor/coordinates-repeated", lambda m, y: T.inc_subtensor(m[[1, 1, -3], [0, 0, 0]], y),
     lambda m, y: _add_at(m, ([1, 1, -3], [0, 0, 0]), y), F(4, 5), F(3))  # -3 is row 1 too
case("inc_subtensor/coordinates-3d-broadcast", lambda t, y, i, j: T.inc_subtensor(t[i, j], y),
     lambda t, y, i, j: _add_at(t, (i, j), y), F(3, 4, 2), F(2),
     I(5, dtype="uint8", low=0, high=2), I(1, dtype="int16", low=-4, high=3))
case("inc_subtensor/coordinates-empty", lambda m, y, i, j: T.inc_subtensor(m[i, j], y),
     lambda m, y, i, j: _add_at(m, (i, j), y), F(4, 5), F(), I(0, dtype="int64"),
     I(0, dtype="int64"))
case("advanced_inc_subtensor/function", T.advanced_inc_subtensor,
     lambda m, y, i, j: _add_at(m, (i, j), y), F(4, 5), F(6), IV, I(6, low=-5, high=4))
case("set_subtensor/coordinates-distinct", lambda m, y: T.set_subtensor(m[[0, 1, 3], [2, 2, -1]], y),
     lambda m, y: _set(m, ([0, 1, 3], [2, 2, -1]), y), F(4, 5), F(3))
case("set_subtensor/coordinates-repeated", lambda m, y, i, j: T.set_subtensor(m[i, j], y),
     lambda m, y, i, j: _set(m, (i, j), y), F(4, 5), F(6), IV, I(6, low=-5, high=4))
case("advanced_set_subtensor/function", lambda m, i: T.advanced_set_subtensor(m, 7, i, 1),
     lambda m, i: _set(m, (i, 1), 7), I(4, 3), I(2, low=-4, high=3))

# --- neural-network functions -----------------------------------------------------------------


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _log_softmax(x):
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _softmax_grad(dy, sm):
    return (dy - (dy * sm).sum(axis=-1, keepdims=True)) * sm


case("softmax/vector", T.nnet.softmax, _softmax, F(5))
case("softmax/matrix", T.nnet.softmax, _softmax, F(3, 4, low=-5, high=5))
case("softmax/float32-large", T.nnet.softmax, _softmax, F(2, 4, dtype="float32", low=-90, high=90))
case("log_softmax/matrix", T.nnet.log_softmax, _log_softmax, F(3, 4))
case("log_softmax/tensor3-float32", T.nnet.log_softmax, _log_softmax,
     F(2, 3, 4, dtype="float32", low=-50, high=50))
case("softmax_grad/matrix", T.nnet.softmax_grad, _softmax_grad, F(3, 4), F(3, 4, low=0, high=1))
case("softmax_grad/vector-float32", T.nnet.softmax_grad, _softmax_grad, F(5, dtype="float32"),
     F(5, dtype="float32", low=0, high=1))
case("relu/default", T.nnet.relu, lambda x: np.maximum(x, 0), F(3, 4))
case("relu/leaky", lambda x: T.nnet.relu(x, 0.1), lambda x: np.where(x > 0, x, 0.1 * x), F(6))
case("relu/int", T.nnet.relu, lambda x: np.maximum(x, 0).astype(x.dtype), I(5, dtype="int16"))
case("binary_crossentropy/vectors", T.nnet.binary_crossentropy,
     lambda p, t: -(t * np.log(p) + (1.0 - t) * np.log(1.0 - p)), F(5, low=0.05, high=0.95),
     F(5, low=0, high=1))
case("binary_crossentropy/float32-against-0-1", T.nnet.binary_crossentropy,
     lambda p, t: -(t * np.log(p) + (1.0 - t) * np.log(1.0 - p)),
     F(2, 3, dtype="float32", low=0.05, high=0.95), B(2, 3), differentiable=False)
case("categorical_crossentropy/distributions", T.nnet.categorical_crossentropy,
     lambda p, t: -np.sum(t * np.log(p), axis=-1), F(3, 4, low=0.05, high=1), F(3, 4, low=0,
                                                                                   high=1))
case("categorical_crossentropy/classes", T.nnet.categorical_crossentropy,
     lambda p, y: -np.log(p[np.arange(len(y)), y]), F(4, 3, low=0.05, high=1),
     I(4, dtype="int64", low=-3, high=2))
case("categorical_crossentropy/of-softmax",
     lambda x, t: T.nnet.categorical_crossentropy(T.nnet.softmax(x), t),
     lambda x, t: -np.sum(t * _log_softmax(x), axis=-1), F(3, 5), F(3, 5, low=0, high=1))


# --- random draws: the state is an input; the reference is tests/philox_reference.py ---------

STATE = Input("uint64", (2,), 0, 2 ** 64 - 1)


def _draw(kind: str, dtype: str, shape: tuple[int, ...]):
    from graphlab_kernel.tensor.random import RandomDraw
    return lambda state, *params: RandomDraw(kind, dtype, len(shape))(state, *params, *shape)


def _reference(kind: str, shape: tuple[int, ...], dtype: str = "float64"):
    import philox_reference as ref
    n = math.prod(shape)

    def draw(state, *params):
        params = [np.broadcast_to(v, shape).reshape(-1) for v in params]
        if kind == "integers":
            params[1] = params[0] + params[1]
        values = (ref.uniform(state, n, dtype) if kind == "uniform" else
                  ref.normal(state, n) if kind == "normal" else
                  getattr(ref, kind)(state, *params, n))
        return values.astype(dtype).reshape(shape)
    return draw


case("random_draw/uniform", _draw("uniform", "float64", (3, 5)), _reference("uniform", (3, 5)),
     STATE, covers=("RandomStreams",))
case("random_draw/uniform-float32-odd", _draw("uniform", "float32", (7,)),
     _reference("uniform", (7,), "float32"), STATE)
case("random_draw/normal", _draw("normal", "float64", (2, 3, 3)),
     _reference("normal", (2, 3, 3)), STATE)
case("random_draw/normal-scalar", _draw("normal", "float32", ()),
     _reference("normal", (), "float32"), STATE)
case("random_draw/bernoulli-row-p", _draw("bernoulli", "int8", (3, 4)),
     _reference("bernoulli", (3, 4), "int8"), STATE, F(1, 4, low=0, high=1, broadcastable=ROW),
     differentiable=False)
case("random_draw/bernoulli-float32-p", _draw("bernoulli", "float32", (5,)),
     _reference("bernoulli", (5,), "float32"), STATE, F(5, dtype="float32", low=0, high=1),
     differentiable=False)
case("random_draw/integers", lambda s, lo, d: _draw("integers", "int64", (2, 6))(s, lo, lo + d),
     _reference("integers", (2, 6), "int64"), STATE, I(2, 6, dtype="int64", low=-50, high=50),
     I(1, 6, dtype="int64", low=0, high=2 ** 40, broadcastable=ROW))


# --- Theano's extra ops: cumulative sums and products ----------------------------------------

case("cumsum/flattened", T.cumsum, np.cumsum, F(3, 4))
case("cumsum/axis=0", lambda x: T.cumsum(x, axis=0), lambda x: np.cumsum(x, axis=0), F(3, 4))
case("cumsum/axis=-1-tensor3", lambda x: T.cumsum(x, axis=-1), lambda x: np.cumsum(x, axis=-1),
     F(2, 3, 4))
case("cumsum/axis=1-tensor3-float32", lambda x: T.cumsum(x, 1), lambda x: np.cumsum(x, 1),
     F(2, 3, 4, dtype="float32"))
case("cumsum/row-along-its-length-1-axis", lambda x: T.cumsum(x, axis=0),
     lambda x: np.cumsum(x, axis=0), F(1, 4, broadcastable=ROW))
case("cumsum/int32-to-int64", lambda x: T.cumsum(x, axis=1), lambda x: np.cumsum(x, axis=1),
     I(3, 4))
case("cumsum/uint8-to-uint64", T.cumsum, np.cumsum, I(5, dtype="uint8", low=0, high=255))
case("cumsum/bool", T.cumsum, np.cumsum, B(2, 3))
case("cumsum/scalar", T.cumsum, np.cumsum, F())
case("cumsum/empty-axis", lambda x: T.cumsum(x, axis=1), lambda x: np.cumsum(x, axis=1),
     F(3, 0))
case("cumprod/flattened", T.cumprod, np.cumprod, F(3, 4))
case("cumprod/axis=0", lambda x: T.cumprod(x, axis=0), lambda x: np.cumprod(x, axis=0), F(4, 3))
case("cumprod/axis=-2-tensor3-float32", lambda x: T.cumprod(x, axis=-2),
     lambda x: np.cumprod(x, axis=-2), F(3, 4, 2, dtype="float32"))
case("cumprod/int16-to-int64", lambda x: T.cumprod(x, axis=0), lambda x: np.cumprod(x, axis=0),
     I(4, 3, dtype="int16"))
case("cumprod/of-a-column", lambda x: T.cumprod(x, axis=0) + x, lambda x: np.cumprod(x, 0) + x,
     F(4, 1, broadcastable=COL))


# --- sorting ----------------------------------------------------------------------------------


def _stable(fn):
    """numpy.sort / argsort with kind="stable" (what T.sort and T.argsort compute)."""
    return lambda x, axis=-1: fn(x, axis=axis, kind="stable")


case("sort/last-axis", T.sort, _stable(np.sort), F(3, 5))
case("sort/axis=0", lambda x: T.sort(x, axis=0), lambda x: np.sort(x, axis=0), F(5, 3))
case("sort/flattened", lambda x: T.sort(x, axis=None), lambda x: np.sort(x, axis=None), F(3, 4))
case("sort/tensor3-axis=1-float32", lambda x: T.sort(x, 1), lambda x: np.sort(x, 1),
     F(2, 6, 3, dtype="float32"))
case("sort/long-vector", T.sort, np.sort, F(70))
case("sort/int-with-ties", T.sort, np.sort, I(40, low=-3, high=3))
case("sort/uint64", T.sort, np.sort, I(9, dtype="uint64", low=2**64 - 9, high=2**64 - 1))
case("sort/bool", T.sort, np.sort, B(7))
case("sort/row", lambda x: T.sort(x, axis=0) * x, lambda x: np.sort(x, axis=0) * x,
     F(1, 4, broadcastable=ROW))
case("argsort/last-axis", T.argsort, _stable(np.argsort), F(3, 5))
case("argsort/ties-stable", T.argsort, _stable(np.argsort), I(50, low=0, high=3))
case("argsort/axis=0-ties-stable", lambda x: T.argsort(x, axis=0),
     lambda x: np.argsort(x, axis=0, kind="stable"), I(37, 3, dtype="int8", low=-2, high=2))
case("argsort/flattened", lambda x: T.argsort(x, axis=None),
     lambda x: np.argsort(x, axis=None, kind="stable"), F(3, 4, dtype="float32"))
case("argsort/tensor3-axis=-2", lambda x: T.argsort(x, axis=-2),
     lambda x: np.argsort(x, axis=-2, kind="stable"), F(2, 5, 3))
case("argsort/bool-ties", T.argsort, _stable(np.argsort), B(2, 20))
case("argsort/empty-lanes", T.argsort, _stable(np.argsort), F(0, 3))


# --- diagonals ---------------------------------------------------------------------------------

case("diagonal/matrix", T.diagonal, np.diagonal, F(3, 4))
case("diagonal/method-offset=1", lambda x: x.diagonal(1), lambda x: x.diagonal(1), F(3, 4))
case("diagonal/offset=-2-times-2", lambda x: T.diagonal(x, -2) * 2,
     lambda x: np.diagonal(x, -2) * 2, F(4, 3))
case("diagonal/offset-past-the-end", lambda x: T.diagonal(x, 5), lambda x: np.diagonal(x, 5),
     F(3, 4))
case("diagonal/tensor3-axes-2-0", lambda x: T.diagonal(x, 1, axis1=2, axis2=0),
     lambda x: np.diagonal(x, 1, axis1=2, axis2=0), F(3, 2, 4))
case("diagonal/negative-axes-float32", lambda x: T.diagonal(x, axis1=-1, axis2=-2),
     lambda x: np.diagonal(x, axis1=-1, axis2=-2), F(2, 3, 3, dtype="float32"))
case("diagonal/int", T.diagonal, np.diagonal, I(3, 3))
case("diagonal/row", lambda x: T.diagonal(x) + 1, lambda x: np.diagonal(x) + 1,
     F(1, 4, broadcastable=ROW))
case("diag/vector", T.diag, np.diag, F(4))
case("diag/vector-below", lambda v: T.diag(v, k=-1), lambda v: np.diag(v, k=-1), F(3))
case("diag/vector-above-int8", lambda v: T.diag(v, 2), lambda v: np.diag(v, 2),
     I(3, dtype="int8"))
case("diag/matrix-above", lambda m: T.diag(m, 1), lambda m: np.diag(m, 1), F(3, 5))
case("diag/matrix", T.diag, np.diag, F(4, 4, dtype="float32"))
case("trace/matrix", T.trace, np.trace, F(4, 4))
case("trace/offset", lambda x: T.trace(x, 2), lambda x: np.trace(x, 2), F(3, 5))
case("trace/int32", T.trace, np.trace, I(3, 3))
case("trace/tensor3-axes", lambda x: T.trace(x, axis1=1, axis2=2),
     lambda x: np.trace(x, axis1=1, axis2=2), F(2, 3, 3))


# --- broadcastable flags, stacking, splitting, tiling, repeating, rolling ----------------------

B101 = (True, False, True)
case("squeeze/broadcastable-axes", T.squeeze, np.squeeze, F(1, 3, 1, broadcastable=B101))
case("squeeze/axis-checked-at-run-time", lambda x: T.squeeze(x, axis=0),
     lambda x: np.squeeze(x, axis=0), F(1, 4))
case("squeeze/nothing-to-drop", lambda x: T.squeeze(x) * 2, lambda x: x * 2, F(2, 3))
case("addbroadcast/then-broadcast", lambda x, y: T.addbroadcast(x, 0) + y, np.add, F(1, 4),
     F(3, 4), covers=("Rebroadcast",))
case("addbroadcast/negative-axis-int", lambda x, y: T.addbroadcast(x, -1) * y, np.multiply,
     I(3, 1), I(3, 4), differentiable=False)
case("unbroadcast/row", lambda x: T.unbroadcast(x, 0) * 3, lambda x: x * 3,
     F(1, 4, broadcastable=ROW))
case("patternbroadcast/row", lambda x, y: T.patternbroadcast(x, (True, False)) - y,
     np.subtract, F(1, 3, dtype="float32"), F(2, 3, dtype="float32"))
case("horizontal_stack/three", T.horizontal_stack, lambda *m: np.hstack(m), F(2, 3), F(2, 1),
     F(2, 2))
case("vertical_stack/int-and-float", T.vertical_stack, lambda *m: np.vstack(m), I(1, 3), F(2, 3))
case("split/axis=0", lambda x: T.split(x, [1, 3], 2), lambda x: np.split(x, [1]), F(4, 3),
     covers=("Split",))
case("split/symbolic-sizes-axis=-1", lambda x: T.split(x, [1, x.shape[1] - 3, 2], 3, axis=-1),
     lambda x: np.split(x, [1, 4], axis=-1), F(2, 6))
case("split/an-empty-piece-int", lambda x: T.split(x, [0, 3], 2), lambda x: np.split(x, [0]),
     I(3, 2), differentiable=False)
case("split/one-piece", lambda x: T.split(x, [3], 1)[0] * 2, lambda x: x * 2, F(3))
case("tile/matrix", lambda x: T.tile(x, (2, 3)), lambda x: np.tile(x, (2, 3)), F(2, 3),
     covers=("Tile",))
case("tile/reps-shorter-than-x", lambda x: T.tile(x, (2,)), lambda x: np.tile(x, (2,)),
     F(2, 3))
case("tile/reps-longer-than-x", lambda x: T.tile(x, (2, 1, 2)), lambda x: np.tile(x, (2, 1, 2)),
     F(3, dtype="float32"))
case("tile/symbolic-count", lambda x, n: T.tile(x, (n, 2)), lambda x, n: np.tile(x, (n, 2)),
     F(2, 2), I(dtype="int64", low=0, high=3))
case("tile/vector-reps", lambda x, r: T.tile(x, r, ndim=2), np.tile, F(2, 3),
     I(2, dtype="int16", low=0, high=3))
case("tile/int-scalar-reps", lambda x: T.tile(x, 3), lambda x: np.tile(x, 3), I(2, 2))
case("tile/row", lambda x: T.tile(x, (1, 2)) + 1, lambda x: np.tile(x, (1, 2)) + 1,
     F(1, 3, broadcastable=ROW))
case("repeat/flattened", lambda x: T.repeat(x, 2), lambda x: np.repeat(x, 2), F(2, 3),
     covers=("Repeat",))
case("repeat/counts-axis=0", lambda x: T.repeat(x, [2, 0, 1], axis=0),
     lambda x: np.repeat(x, [2, 0, 1], axis=0), F(3, 2))
case("repeat/symbolic-counts-axis=1", lambda x, r: T.repeat(x, r, axis=1),
     lambda x, r: np.repeat(x, r, axis=1), F(2, 3), I(3, low=0, high=3))
case("repeat/symbolic-scalar-axis=-1", lambda x, r: T.repeat(x, r, axis=-1),
     lambda x, r: np.repeat(x, r, axis=-1), F(2, 2, 3), I(dtype="int8", low=0, high=3))
case("repeat/one-count-for-all", lambda x: T.repeat(x, [2], axis=1),
     lambda x: np.repeat(x, [2], axis=1), F(3, 2, dtype="float32"))
case("repeat/int", lambda x: T.repeat(x, 3), lambda x: np.repeat(x, 3), I(4, dtype="uint8",
                                                                            low=0, high=9))
case("roll/axis=1", lambda x: T.roll(x, 1, axis=1), lambda x: np.roll(x, 1, axis=1), F(3, 4))
case("roll/negative-past-the-length", lambda x: T.roll(x, -5, axis=0),
     lambda x: np.roll(x, -5, axis=0), F(3, 2))
case("roll/flattened", lambda x: T.roll(x, 2), lambda x: np.roll(x, 2), F(2, 3))
case("roll/symbolic-shift", lambda x, s: T.roll(x, s, axis=0), lambda x, s: np.roll(x, s, 0),
     F(4, 2), I(dtype="int64", low=-9, high=9))
case("roll/int-vector", lambda x: T.roll(x, 3), lambda x: np.roll(x, 3), I(5))


# --- more elementwise functions, and Theano's largest, smallest, max_and_argmax --------------

from graphlab_kernel.tensor.scalar_special import _gammaln, _psi, _ultra_fast_sigmoid  # noqa: E402

# psi and gammaln's references are their NumPy implementations (there is no scipy here); those
# are checked against values scipy computed in tests/tensor/test_special.py.
case("arctan2/float64", T.arctan2, np.arctan2, F(3, 4), F(3, 4, **NONZERO))
case("arctan2/float32-scalar", T.arctan2, np.arctan2, F(5, dtype="float32"), F(dtype="float32",
                                                                               **NONZERO))
case("arctan2/int", T.arctan2, np.arctan2, I(6), I(6), differentiable=False)
case("erfc/float64", T.erfc, lambda x: 1 - _erf(x), F(3, 4))
case("erfc/float32-tails", T.erfc, lambda x: np.vectorize(math.erfc, otypes=["float32"])(x),
     F(6, dtype="float32", low=-6, high=6))
case("erfc/int", T.erfc, lambda x: np.vectorize(math.erfc)(x), I(4), differentiable=False)
case("gammaln/float64", T.gammaln, _gammaln, F(3, 4, low=0.2, high=6))
case("gammaln/negative-float32", T.gammaln, lambda x: _gammaln(x).astype("float32"),
     F(5, dtype="float32", low=-3.9, high=-0.1), differentiable=False)
case("gammaln/int-poles", T.gammaln, _gammaln, I(6, low=-3, high=5), differentiable=False)
case("psi/float64", T.psi, _psi, F(3, 4, low=0.3, high=14))
case("psi/between-0-and--1", T.psi, _psi, F(5, low=-0.9, high=-0.1))
case("psi/float32-wide", T.psi, lambda x: _psi(x).astype("float32"),
     F(6, dtype="float32", low=-30, high=30), differentiable=False)
case("psi/int-poles", T.psi, _psi, I(6, low=-3, high=5), differentiable=False)
case("inv/float64", T.inv, lambda x: 1 / x, F(3, 4, **NONZERO))
case("reciprocal/float32", T.reciprocal, np.reciprocal, F(5, dtype="float32", **NONZERO))
case("reciprocal/int-to-float", T.reciprocal, lambda x: 1 / x, I(4, low=1, nonzero=True),
     differentiable=False)
case("isclose/near-and-far", lambda a, b: T.isclose(a, a + b * 1e-6),
     lambda a, b: np.isclose(a, a + b * 1e-6), F(40), F(40))
case("isclose/tolerances-float32", lambda a, b: T.isclose(a, b, rtol=0.1, atol=0.05),
     lambda a, b: np.isclose(a, b, rtol=0.1, atol=0.05), F(30, dtype="float32"),
     F(30, dtype="float32"))
case("isclose/nan-inf-equal_nan", lambda a, b: T.isclose(T.log(a), T.log(b) / 0, equal_nan=True),
     _quietly(lambda a, b: np.isclose(np.log(a), np.log(b) / 0, equal_nan=True)), F(30), F(30))
case("isclose/ints", T.isclose, np.isclose, I(20, low=-1, high=1), I(20, dtype="int8", low=-1,
                                                                       high=1))
case("allclose/true", lambda a, b: T.allclose(a, a + b * 1e-10),
     lambda a, b: np.asarray(np.allclose(a, a + b * 1e-10)), F(3, 4), F(3, 4))
case("allclose/false", T.allclose, lambda a, b: np.asarray(np.allclose(a, b)), F(5), F(5))
case("largest/three-broadcast", T.largest, lambda a, b, c: np.maximum(np.maximum(a, b), c),
     F(3, 4), F(4), F())
case("largest/one", T.largest, np.copy, I(3))
case("smallest/ints", T.smallest, np.minimum, I(5), I(5, dtype="int8"))
case("max_and_argmax/axis=1", lambda x: T.max_and_argmax(x, axis=1),
     lambda x: [np.max(x, axis=1), np.argmax(x, axis=1)], F(3, 4))
case("max_and_argmax/all-axes-keepdims", lambda x: T.max_and_argmax(x, keepdims=True),
     lambda x: [np.max(x, keepdims=True), np.argmax(x, keepdims=True).reshape(1, 1)], F(3, 4))
case("max_and_argmax/int", lambda x: T.max_and_argmax(x, 0),
     lambda x: [np.max(x, 0), np.argmax(x, 0)], I(4, 3), differentiable=False)
case("hard_sigmoid/nnet", T.nnet.hard_sigmoid, lambda x: np.clip(0.2 * x + 0.5, 0, 1),
     F(8, low=-4, high=4))
case("hard_sigmoid/float32", T.nnet.hard_sigmoid,
     lambda x: np.clip(x * np.float32(0.2) + np.float32(0.5), 0, 1), F(6, dtype="float32"))
case("ultra_fast_sigmoid/nnet", T.nnet.ultra_fast_sigmoid, _ultra_fast_sigmoid, F(3, 4))
case("ultra_fast_sigmoid/float32-every-piece", T.nnet.ultra_fast_sigmoid, _ultra_fast_sigmoid,
     F(40, dtype="float32", low=-9, high=9), differentiable=False)


# --- nonzero ----------------------------------------------------------------------------------

case("nonzero/matrix", lambda x: T.nonzero(x, return_matrix=True),
     lambda x: np.array(np.nonzero(x)), I(4, 5, low=-1, high=1), covers=("NonZero",))
case("nonzero/tuple-tensor3", lambda x: list(T.nonzero(x)), lambda x: list(np.nonzero(x)),
     B(2, 3, 4))
case("nonzero/vector-of-floats", lambda x: T.nonzero(x)[0], lambda x: np.nonzero(x)[0],
     F(9, dtype="float32"))
case("nonzero/none", lambda x: T.nonzero(x, return_matrix=True),
     lambda x: np.array(np.nonzero(x)).reshape(2, 0), I(2, 3, low=0, high=0))
case("flatnonzero/matrix", T.flatnonzero, np.flatnonzero, I(3, 4, dtype="uint8", low=0, high=1))
case("nonzero_values/matrix", T.nonzero_values, lambda x: x[x != 0], I(3, 4, low=-1, high=1))
case("nonzero_values/floats", T.nonzero_values, lambda x: x[x != 0], F(2, 3))


# --- completeness -----------------------------------------------------------------------------

# Names in graphlab_kernel.tensor that are functions but not ops.
NOT_OPS = {"grad", "jacobian", "hessian", "as_tensor_variable", "constant", "tensor", "getitem"}
OP_MODULES = ("graphlab_kernel.tensor.math", "graphlab_kernel.tensor.shape",
              "graphlab_kernel.tensor.extra_ops", "graphlab_kernel.tensor.sort",
              "graphlab_kernel.tensor.diagonal", "graphlab_kernel.tensor.broadcasting",
              "graphlab_kernel.tensor.special", "graphlab_kernel.tensor.nonzero",
              "graphlab_kernel.tensor.subtensor", "graphlab_kernel.tensor.advanced_subtensor",
              "graphlab_kernel.tensor.nnet", "graphlab_kernel.tensor.elemwise")


def public_ops() -> dict[str, object]:
    """Every public op function or Op instance in graphlab_kernel.tensor and tensor.nnet, by name."""
    import inspect

    from graphlab_kernel.gof.op import Op
    found = {}
    for prefix, namespace in (("", T), ("nnet.", T.nnet)):
        for name in dir(namespace):
            value = getattr(namespace, name)
            if name.startswith("_") or name in NOT_OPS:
                continue
            is_op = isinstance(value, Op)
            is_op_function = inspect.isfunction(value) and value.__module__ in OP_MODULES
            if is_op or is_op_function:
                found[prefix + name] = value
    return found


def covered_ops() -> set[int]:
    """The identities of the op functions the cases exercise (aliases count as the same op)."""
    covered = set()
    for c in CASES:
        for name in (c.function_name, *c.covers):
            value = getattr(T, name, None) or getattr(T.nnet, name, None)
            if value is not None:
                covered.add(id(value))
    return covered
