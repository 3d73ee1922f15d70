"""Scalar ops: the elementwise computations that `Elemwise` lifts to arrays.

Each scalar op says in one place everything about itself: its NumPy implementation (`impl`), its
output dtype rule, its gradient (built from tensor ops, on the Elemwise's inputs), how `pp` prints it,
and its C form as data (`c_expr`, a format string over the C names of its inputs `{0}`, `{1}`, ...).
"""

from __future__ import annotations

import math as _pymath
from collections.abc import Sequence

import numpy as np

from graphlab_kernel.gof.op import PropsEquality
from graphlab_kernel.tensor.type import (COMPLEX_DTYPES, DISCRETE_DTYPES, FLOAT_DTYPES,
                                         SIGNED_INT_DTYPES)

_loop_dtypes: dict = {}


def upcast(*dtypes: str) -> str:
    """NumPy's promotion of arrays of these dtypes."""
    return str(np.result_type(*dtypes))


def loop_dtype(ufunc: np.ufunc, dtypes: tuple[str, ...]) -> str | None:
    """The dtype NumPy's `ufunc` gives for arrays of these dtypes (its loop's output: bool ** bool
    is int8, as NumPy has no bool loop for power), or None when it has no loop for them."""
    key = (ufunc.__name__, dtypes)
    if key not in _loop_dtypes:
        try:
            resolved = ufunc.resolve_dtypes(tuple(map(np.dtype, dtypes)) + (None,) * ufunc.nout)
            _loop_dtypes[key] = str(resolved[-1])
        except TypeError:  # numpy's UFuncNoLoopError and promotion errors both derive from it
            _loop_dtypes[key] = None
    return _loop_dtypes[key]


def float_of(*dtypes: str) -> str:
    """The float dtype an op computes in for these inputs: ints and bools become float64."""
    out = upcast(*dtypes)
    return "float64" if out in DISCRETE_DTYPES else out


class ScalarOp(PropsEquality):
    """An elementwise function of `nin` scalars."""

    name: str = ""
    nin: int = 1
    symbol: str | None = None   # infix operator for pp, e.g. "+"; None prints as name(args)
    c_expr: str | None = None   # C expression over {0}, {1}, ...; None: no C form
    ufunc = None                # the NumPy function applied to arrays
    output: str = "upcast"      # dtype rule: upcast | float | bool | first | int

    def output_dtype(self, *dtypes: str) -> str:
        if self.output == "float":
            return float_of(*dtypes)
        if self.output == "bool":
            return "bool"
        if self.output == "first":
            return dtypes[0]
        if isinstance(self.ufunc, np.ufunc):  # NumPy's own rule for its function
            out = loop_dtype(self.ufunc, dtypes)
            if out is None:
                raise TypeError(f"{self.name} is not defined for {' and '.join(dtypes)} values "
                                f"(NumPy's {self.ufunc.__name__} refuses them); cast first")
            return out
        return upcast(*dtypes)

    def impl(self, *inputs: np.ndarray) -> np.ndarray:
        return self.ufunc(*inputs)

    def c_expr_for(self, in_dtypes: Sequence[str], out_dtype: str) -> str | None:
        """The C expression for arguments of these dtypes (c_expr, unless it depends on them)."""
        return self.c_expr

    def c_error(self, in_dtypes: Sequence[str], out_dtype: str) -> tuple[str, str] | None:
        """When NumPy raises ValueError(message) for some values of these dtypes: (a C condition
        over the arguments {0}, {1}, ..., converted as for c_expr, true for those values, the
        message); None when the op never fails."""
        return None

    def grad(self, inputs: Sequence, output, gz) -> list:
        """The gradient with respect to each input, given `gz`, the gradient of the output."""
        raise NotImplementedError(f"{self.name} is not differentiable")

    def pp(self, args: Sequence[str]) -> str:
        if self.symbol is not None and len(args) == 2:
            return f"({args[0]} {self.symbol} {args[1]})"
        if self.symbol is not None and len(args) == 1:
            return f"({self.symbol}{args[0]})"
        return f"{self.name}({', '.join(args)})"

    def __str__(self) -> str:
        return self.name

    __repr__ = __str__


def _float_impl(fn):
    """Apply `fn` computing in the op's float dtype (ints and bools are computed as float64)."""
    def impl(self, *inputs):
        dtype = float_of(*(x.dtype.name for x in inputs))
        return fn(*(x.astype(dtype, copy=False) for x in inputs))
    return impl


def _T():
    from graphlab_kernel import tensor
    return tensor


# --- arithmetic -------------------------------------------------------------------------------


class Add(ScalarOp):
    """x + y"""
    name, nin, symbol, ufunc, c_expr = "add", 2, "+", np.add, "({0} + {1})"

    def grad(self, inputs, output, gz):
        return [gz, gz]


class Sub(ScalarOp):
    """x - y"""
    name, nin, symbol, ufunc, c_expr = "sub", 2, "-", np.subtract, "({0} - {1})"

    def output_dtype(self, *dtypes: str) -> str:
        if all(d == "bool" for d in dtypes):  # as NumPy: no subtraction of booleans
            raise TypeError("sub of two bool values is not supported; use xor (the ^ operator) "
                            "or cast them to a number first")
        return super().output_dtype(*dtypes)

    def grad(self, inputs, output, gz):
        return [gz, -gz]


class Mul(ScalarOp):
    """x * y"""
    name, nin, symbol, ufunc, c_expr = "mul", 2, "*", np.multiply, "({0} * {1})"

    def grad(self, inputs, output, gz):
        x, y = inputs
        return [gz * y, gz * x]


class TrueDiv(ScalarOp):
    """x / y"""
    name, nin, symbol, output, c_expr = "true_div", 2, "/", "float", "({0} / {1})"
    impl = _float_impl(np.true_divide)

    def grad(self, inputs, output, gz):
        x, y = inputs
        return [gz / y, -(gz * x) / (y * y)]


class IntDiv(ScalarOp):
    """x // y (floor division)"""
    name, nin, symbol, ufunc = "int_div", 2, "//", np.floor_divide
    c_expr = "gl_floordiv({0}, {1})"

    def grad(self, inputs, output, gz):
        # piecewise constant: zero almost everywhere (as Theano), None for integer inputs
        T = _T()
        return [T.zeros_like(x) for x in inputs]


class Mod(ScalarOp):
    """x % y (with the sign of y, as in Python)"""
    name, nin, symbol, ufunc, c_expr = "mod", 2, "%", np.mod, "gl_mod({0}, {1})"

    def grad(self, inputs, output, gz):
        x, y = inputs
        return [gz, -gz * _T().floor(x / y)]


class Pow(ScalarOp):
    """x ** y"""
    name, nin, symbol, ufunc, c_expr = "pow", 2, "**", np.power, "gl_pow({0}, {1})"

    def c_error(self, in_dtypes, out_dtype):
        # NumPy's power loops for signed integers refuse a negative exponent, whatever the base
        # (bool, unsigned and mixed inputs promoting to a signed integer included); unsigned and
        # bool exponents cannot be negative, and results promoted to float are computed in float
        if out_dtype in SIGNED_INT_DTYPES and in_dtypes[1] in SIGNED_INT_DTYPES:
            return "{1} < 0", "Integers to negative integer powers are not allowed."
        return None

    def grad(self, inputs, output, gz):
        x, y = inputs
        T = _T()
        gx = gz * y * x ** (y - 1)
        gy = gz * output * T.log(x) if y.dtype not in DISCRETE_DTYPES else None
        return [gx, gy]


class Maximum(ScalarOp):
    """maximum(x, y)"""
    name, nin, ufunc, c_expr = "maximum", 2, np.maximum, "gl_max({0}, {1})"

    def grad(self, inputs, output, gz):
        x, y = inputs
        T = _T()
        pick_x = T.ge(x, y)
        return [T.switch(pick_x, gz, 0), T.switch(pick_x, 0, gz)]


class Minimum(ScalarOp):
    """minimum(x, y)"""
    name, nin, ufunc, c_expr = "minimum", 2, np.minimum, "gl_min({0}, {1})"

    def grad(self, inputs, output, gz):
        x, y = inputs
        T = _T()
        pick_x = T.le(x, y)
        return [T.switch(pick_x, gz, 0), T.switch(pick_x, 0, gz)]


class Neg(ScalarOp):
    """-x"""
    name, symbol, ufunc, c_expr = "neg", "-", np.negative, "(-{0})"

    def output_dtype(self, *dtypes: str) -> str:
        if dtypes[0] == "bool":  # as NumPy: no negative of a boolean
            raise TypeError("neg of a bool value is not supported; use invert (the ~ operator) "
                            "or cast it to a number first")
        return super().output_dtype(*dtypes)

    def grad(self, inputs, output, gz):
        return [-gz]


class Abs(ScalarOp):
    """|x|"""
    name, ufunc, c_expr = "abs", np.abs, "gl_abs({0})"

    def output_dtype(self, *dtypes):
        return {"complex64": "float32", "complex128": "float64"}.get(dtypes[0], dtypes[0])

    def grad(self, inputs, output, gz):
        return [gz * _T().sgn(inputs[0])]


class Sgn(ScalarOp):
    """sign(x)"""
    name, ufunc, c_expr = "sgn", np.sign, "gl_sgn({0})"

    def grad(self, inputs, output, gz):
        return [_T().zeros_like(inputs[0])]


class Sqr(ScalarOp):
    """x * x"""
    name, ufunc, c_expr = "sqr", np.square, "({0} * {0})"

    def grad(self, inputs, output, gz):
        return [gz * inputs[0] * 2]


def _unary_float(name_, ufunc_, c_, grad_fn, doc):
    """Define a float-valued unary op from its name, NumPy function, C expression and gradient."""
    cls = type(name_.capitalize(), (ScalarOp,), {
        "name": name_, "output": "float", "c_expr": c_, "__doc__": doc,
        "impl": _float_impl(ufunc_),
        "grad": lambda self, inputs, output, gz: [grad_fn(inputs[0], output, gz)],
    })
    return cls()


def _sigmoid(x):
    # 1 / (1 + exp(-x)) without overflow for large |x|
    return np.exp(-np.logaddexp(0, -x))


def _erf(x):
    return np.vectorize(_pymath.erf, otypes=[x.dtype])(x) if x.size else x.copy()


def _grad_table():
    """Gradients of the unary float ops, as (x, output, gz) -> tensor expression."""
    T = _T()
    return {
        "exp": lambda x, o, gz: gz * o,
        "log": lambda x, o, gz: gz / x,
        "log1p": lambda x, o, gz: gz / (1 + x),
        "expm1": lambda x, o, gz: gz * (o + 1),
        "log2": lambda x, o, gz: gz / (x * np.log(2.0)),
        "log10": lambda x, o, gz: gz / (x * np.log(10.0)),
        "sqrt": lambda x, o, gz: gz * 0.5 / o,
        "sin": lambda x, o, gz: gz * T.cos(x),
        "cos": lambda x, o, gz: -gz * T.sin(x),
        "tan": lambda x, o, gz: gz * (1 + T.sqr(o)),
        "arcsin": lambda x, o, gz: gz / T.sqrt(1 - T.sqr(x)),
        "arccos": lambda x, o, gz: -gz / T.sqrt(1 - T.sqr(x)),
        "arctan": lambda x, o, gz: gz / (1 + T.sqr(x)),
        "sinh": lambda x, o, gz: gz * T.cosh(x),
        "cosh": lambda x, o, gz: gz * T.sinh(x),
        "tanh": lambda x, o, gz: gz * (1 - T.sqr(o)),
        "sigmoid": lambda x, o, gz: gz * o * (1 - o),
        "softplus": lambda x, o, gz: gz * T.sigmoid(x),
        "erf": lambda x, o, gz: gz * (2 / np.sqrt(np.pi)) * T.exp(-T.sqr(x)),
    }


_UNARY_FLOAT = [
    # name, NumPy function, C expression, docstring
    ("exp", np.exp, "exp({0})", "e ** x"),
    ("log", np.log, "log({0})", "natural logarithm"),
    ("log1p", np.log1p, "log1p({0})", "log(1 + x), accurate near 0"),
    ("expm1", np.expm1, "expm1({0})", "exp(x) - 1, accurate near 0"),
    ("log2", np.log2, "log2({0})", "base-2 logarithm"),
    ("log10", np.log10, "log10({0})", "base-10 logarithm"),
    ("sqrt", np.sqrt, "sqrt({0})", "square root"),
    ("sin", np.sin, "sin({0})", "sine"),
    ("cos", np.cos, "cos({0})", "cosine"),
    ("tan", np.tan, "tan({0})", "tangent"),
    ("arcsin", np.arcsin, "asin({0})", "inverse sine"),
    ("arccos", np.arccos, "acos({0})", "inverse cosine"),
    ("arctan", np.arctan, "atan({0})", "inverse tangent"),
    ("sinh", np.sinh, "sinh({0})", "hyperbolic sine"),
    ("cosh", np.cosh, "cosh({0})", "hyperbolic cosine"),
    ("tanh", np.tanh, "tanh({0})", "hyperbolic tangent"),
    ("sigmoid", _sigmoid, "gl_sigmoid({0})", "1 / (1 + exp(-x)), without overflow"),
    ("softplus", lambda x: np.logaddexp(0, x), "gl_softplus({0})", "log(1 + exp(x)), stably"),
    ("erf", _erf, "erf({0})", "the error function"),
]


def _make_unary_float_ops() -> dict[str, ScalarOp]:
    ops = {}
    for name_, ufunc_, c_, doc in _UNARY_FLOAT:
        ops[name_] = _unary_float(name_, ufunc_, c_,
                                  lambda x, o, gz, _n=name_: _grad_table()[_n](x, o, gz), doc)
    return ops


UNARY_FLOAT_OPS = _make_unary_float_ops()


class _Rounding(ScalarOp):
    """Base of floor, ceil, round: piecewise constant, so the gradient is zero. An integer is
    returned as it is (as C does), not through float64, which would round 2**63 - 1 up and
    overflow."""
    output = "first"

    def impl(self, x):
        if x.dtype.kind in "biu":
            return x.copy()
        return self.ufunc(x)

    def grad(self, inputs, output, gz):
        return [_T().zeros_like(inputs[0])]


class Floor(_Rounding):
    """floor(x)"""
    name, ufunc, c_expr = "floor", np.floor, "floor({0})"


class Ceil(_Rounding):
    """ceil(x)"""
    name, ufunc, c_expr = "ceil", np.ceil, "ceil({0})"


class RoundHalfToEven(_Rounding):
    """round(x), halves to even as NumPy does"""
    name, ufunc, c_expr = "round_half_to_even", np.rint, "nearbyint({0})"


# --- comparison and logic ----------------------------------------------------------------------


class _Comparison(ScalarOp):
    nin, output = 2, "bool"

    def grad(self, inputs, output, gz):
        return [None, None]


class LT(_Comparison):
    """x < y"""
    name, symbol, ufunc, c_expr = "lt", "<", np.less, "({0} < {1})"


class LE(_Comparison):
    """x <= y"""
    name, symbol, ufunc, c_expr = "le", "<=", np.less_equal, "({0} <= {1})"


class GT(_Comparison):
    """x > y"""
    name, symbol, ufunc, c_expr = "gt", ">", np.greater, "({0} > {1})"


class GE(_Comparison):
    """x >= y"""
    name, symbol, ufunc, c_expr = "ge", ">=", np.greater_equal, "({0} >= {1})"


class EQ(_Comparison):
    """x == y"""
    name, symbol, ufunc, c_expr = "eq", "==", np.equal, "({0} == {1})"


class NEQ(_Comparison):
    """x != y"""
    name, symbol, ufunc, c_expr = "neq", "!=", np.not_equal, "({0} != {1})"


class _FloatTest(ScalarOp):
    """A test of a float's class; an integer or a boolean is never NaN nor infinite."""
    output = "bool"

    def c_expr_for(self, in_dtypes, out_dtype):
        return self.c_expr if in_dtypes[0] in FLOAT_DTYPES else "0"

    def grad(self, inputs, output, gz):
        return [None]


class IsNan(_FloatTest):
    """isnan(x)"""
    name, ufunc, c_expr = "isnan", np.isnan, "isnan({0})"


class IsInf(_FloatTest):
    """isinf(x)"""
    name, ufunc, c_expr = "isinf", np.isinf, "isinf({0})"


class _Bitwise(ScalarOp):
    nin = 2

    def output_dtype(self, *dtypes):
        for d in dtypes:
            if d not in DISCRETE_DTYPES:
                raise TypeError(f"{self.name} needs integer or boolean inputs; got {d}")
        return super().output_dtype(*dtypes)  # int64 with uint64 is refused, as by NumPy

    def grad(self, inputs, output, gz):
        return [None] * len(inputs)


class And(_Bitwise):
    """x & y"""
    name, symbol, ufunc, c_expr = "and_", "&", np.bitwise_and, "({0} & {1})"


class Or(_Bitwise):
    """x | y"""
    name, symbol, ufunc, c_expr = "or_", "|", np.bitwise_or, "({0} | {1})"


class Xor(_Bitwise):
    """x ^ y"""
    name, symbol, ufunc, c_expr = "xor", "^", np.bitwise_xor, "({0} ^ {1})"


class Invert(_Bitwise):
    """~x (logical not for booleans)"""
    name, nin, symbol, ufunc = "invert", 1, "~", np.invert
    c_expr = "gl_invert({0})"


# --- selection, filling, casting ---------------------------------------------------------------


class Switch(ScalarOp):
    """cond ? x : y"""
    name, nin, c_expr = "switch", 3, "({0} ? {1} : {2})"

    def output_dtype(self, cond, x, y):
        return upcast(x, y)

    def impl(self, cond, x, y):
        return np.where(cond, x, y)

    def grad(self, inputs, output, gz):
        cond = inputs[0]
        T = _T()
        zero = T.zeros_like(gz)
        return [None, T.switch(cond, gz, zero), T.switch(cond, zero, gz)]


class Clip(ScalarOp):
    """min(max(x, lo), hi)"""
    name, nin, c_expr = "clip", 3, "gl_clip({0}, {1}, {2})"

    def impl(self, x, lo, hi):
        return np.minimum(np.maximum(x, lo), hi)

    def grad(self, inputs, output, gz):
        x, lo, hi = inputs
        T = _T()
        inside = T.and_(T.ge(x, lo), T.le(x, hi))
        return [T.switch(inside, gz, 0), T.switch(T.lt(x, lo), gz, 0), T.switch(T.gt(x, hi), gz, 0)]


class Second(ScalarOp):
    """fill(x, y): y, broadcast to the shape of x"""
    name, nin, c_expr = "fill", 2, "{1}"

    def output_dtype(self, x, y):
        return y

    def impl(self, x, y):
        return np.broadcast_to(y, np.broadcast_shapes(x.shape, y.shape)).copy()

    def grad(self, inputs, output, gz):
        return [None, gz]


class Identity(ScalarOp):
    """x"""
    name, ufunc, c_expr = "identity", np.positive, "{0}"

    def output_dtype(self, x):
        return x

    def impl(self, x):
        return x.copy()

    def grad(self, inputs, output, gz):
        return [gz]


class Cast(ScalarOp):
    """x converted to another dtype"""
    __props__ = ("dtype",)
    c_expr = "(({ctype}){0})"
    # A float converted to a 32- or 64-bit unsigned integer: C leaves a negative or too large
    # value undefined, and -march=native's AVX-512 instructions saturate it; NumPy's loops take
    # the value through int64 (so -3.7 is 2**64 - 3 and 5e9 as a uint32 wraps), as x86-64 code
    # does without AVX-512. The prelude's helpers convert as NumPy does on the platform.
    _FROM_FLOAT = {"uint64": "gl_f2u64({0})", "uint32": "gl_f2u32({0})"}

    def c_expr_for(self, in_dtypes, out_dtype):
        if in_dtypes[0] in FLOAT_DTYPES and self.dtype in self._FROM_FLOAT:
            return self._FROM_FLOAT[self.dtype]
        return self.c_expr

    def __init__(self, dtype: str):
        self.dtype = str(np.dtype(dtype))
        self.name = f"convert_to_{self.dtype}"

    def output_dtype(self, x):
        return self.dtype

    def impl(self, x):
        return x.astype(self.dtype)

    def grad(self, inputs, output, gz):
        x = inputs[0]
        if x.dtype in DISCRETE_DTYPES:
            return [None]
        return [_T().cast(gz, x.dtype)]


add, sub, mul, true_div, int_div, mod, pow = Add(), Sub(), Mul(), TrueDiv(), IntDiv(), Mod(), Pow()
maximum, minimum, neg, abs_, sgn, sqr = Maximum(), Minimum(), Neg(), Abs(), Sgn(), Sqr()
floor, ceil, round_half_to_even = Floor(), Ceil(), RoundHalfToEven()
lt, le, gt, ge, eq, neq = LT(), LE(), GT(), GE(), EQ(), NEQ()
isnan, isinf = IsNan(), IsInf()
and_, or_, xor, invert = And(), Or(), Xor(), Invert()
switch, clip, second, identity = Switch(), Clip(), Second(), Identity()

FLOAT_KINDS = FLOAT_DTYPES + COMPLEX_DTYPES


class Composite(ScalarOp):
    """Several scalar ops fused into one elementwise computation (one loop in C).

    `program` is a tuple of instructions `(scalar_op, argument indices)`. Values 0..nin-1 are the
    inputs; instruction k computes value nin+k from earlier values; the last value is the output.
    """

    __props__ = ("program", "nin")

    def __init__(self, program: Sequence[tuple[ScalarOp, Sequence[int]]], nin: int):
        self.program = tuple((op, tuple(args)) for op, args in program)
        self.nin = nin
        if not self.program:
            raise ValueError("a Composite needs at least one instruction")
        for k, (op, args) in enumerate(self.program):
            if isinstance(op, Composite):
                raise TypeError("a Composite cannot contain a Composite; inline its program")
            if any(not 0 <= a < nin + k for a in args):
                raise ValueError(f"instruction {k} ({op.name}) reads a value not yet computed")
        self.name = f"Composite{{{self.formula()}}}"
        read = {a for _, args in self.program for a in args}
        self._reads_every_input = all(i in read for i in range(nin))
        self._dtypes_for: dict[tuple, list[str]] = {}  # value_dtypes, by the inputs' dtypes

    def formula(self, names: Sequence[str] | None = None) -> str:
        """The fused computation written out, with inputs named i0, i1, ... (or `names`)."""
        values = list(names) if names is not None else [f"i{i}" for i in range(self.nin)]
        for op, args in self.program:
            values.append(op.pp([values[a] for a in args]))
        return values[-1]

    def value_dtypes(self, *input_dtypes: str) -> list[str]:
        """The dtype of every value of the program: the inputs', then each instruction's."""
        dtypes = list(input_dtypes)
        for op, args in self.program:
            dtypes.append(op.output_dtype(*(dtypes[a] for a in args)))
        return dtypes

    def output_dtype(self, *dtypes: str) -> str:
        return self.value_dtypes(*dtypes)[-1]

    def impl(self, *inputs):
        values = list(inputs)
        key = tuple(np.asarray(x).dtype for x in inputs)
        dtypes = self._dtypes_for.get(key)
        if dtypes is None:  # the same dtypes call after call: worked out once
            dtypes = self._dtypes_for[key] = self.value_dtypes(*(d.name for d in key))
        for k, (op, args) in enumerate(self.program):
            result = op.impl(*(np.asarray(values[a]) for a in args))
            values.append(np.asarray(result, dtype=dtypes[self.nin + k]))
        if self._reads_every_input:
            return values[-1]
        # an input no instruction reads (fusion drops what only a fill read) still sets the shape
        shape = np.broadcast_shapes(*(np.shape(x) for x in inputs))
        return np.broadcast_to(values[-1], shape).copy()

    def pp(self, args: Sequence[str]) -> str:
        return self.formula(args)

    def grad(self, inputs, output, gz):
        raise NotImplementedError("Composite ops are made by fusion, after differentiation")
