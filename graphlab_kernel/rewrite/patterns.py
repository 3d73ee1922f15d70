"""Small helpers the rules use to read patterns off the graph and to build type-exact replacements."""

from __future__ import annotations

import weakref

import numpy as np

from graphlab_kernel.gof.graph import Apply, Constant, Variable
from graphlab_kernel.tensor import math as M
from graphlab_kernel.tensor import scalar_ops as S
from graphlab_kernel.tensor.elemwise import DimShuffle, Elemwise, dimshuffle
from graphlab_kernel.tensor.var import TensorConstant, constant, format_constant

UNARY = {name: type(op) for name, op in S.UNARY_FLOAT_OPS.items()}  # e.g. UNARY["exp"] is Exp
ELEMWISE_OF = {name: Elemwise(op) for name, op in S.UNARY_FLOAT_OPS.items()}


def elemwise_op(var: Variable, scalar_cls: type | None = None) -> Apply | None:
    """`var`'s owner if it is an Elemwise (of a `scalar_cls` scalar op, when given)."""
    node = var.owner
    if node is None or not isinstance(node.op, Elemwise):
        return None
    if scalar_cls is not None and not isinstance(node.op.scalar_op, scalar_cls):
        return None
    return node


def strip_broadcast(var: Variable) -> Variable:
    """`var` with DimShuffles that only add broadcastable axes removed (they change no value)."""
    while var.owner is not None and isinstance(var.owner.op, DimShuffle):
        op = var.owner.op
        if [d for d in op.new_order if d != "x"] != list(range(len(op.input_broadcastable))):
            break
        var = var.owner.inputs[0]
    return var


def constant_value(var: Variable) -> np.ndarray | None:
    """The value of `var` if it is a constant (possibly broadcast by DimShuffles), else None."""
    var = strip_broadcast(var)
    if isinstance(var, Constant):
        return var.data
    return None


_NOT_UNIFORM = object()
_uniform_values: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def scalar_constant(var: Variable) -> np.generic | None:
    """The one value every element of `var` has, if `var` is such a constant; else None."""
    if var.owner is not None and not isinstance(var.owner.op, DimShuffle):
        return None
    var = strip_broadcast(var)
    if not isinstance(var, Constant):
        return None
    found = _uniform_values.get(var)
    if found is None:
        found = _uniform_value(var.data)
        _uniform_values[var] = found
    return None if found is _NOT_UNIFORM else found


def _uniform_value(data: np.ndarray):
    if data.size == 0:
        return _NOT_UNIFORM
    flat = data.reshape(-1)
    first = flat[0]
    if flat.size > 1 and not np.all(flat == first):
        return _NOT_UNIFORM
    return first


def is_constant_equal(var: Variable, value: float) -> bool:
    """Whether every element of `var` is the constant `value`."""
    found = scalar_constant(var)
    return found is not None and bool(found == value)


def folded_constant(data: np.ndarray, dtype: str) -> TensorConstant:
    """A constant made by a rewrite; a scalar one is named by its value so that pp prints 2.0."""
    data = np.asarray(data, dtype=dtype)
    result = constant(data, dtype=dtype)
    if data.ndim == 0:
        result.name = format_constant(data)
    return result


def fit(new: Variable | None, old: Variable) -> Variable | None:
    """`new` made to have `old`'s type (cast to its dtype), or None when the patterns differ."""
    if new is None:
        return None
    if new.type == old.type:
        return new
    if new.ndim > old.ndim:
        return None
    if new.ndim < old.ndim:
        new = dimshuffle(new, ["x"] * (old.ndim - new.ndim) + list(range(new.ndim)))
    if new.broadcastable != old.broadcastable:
        return None
    if new.dtype != old.dtype:
        new = M.cast(new, old.dtype)
    return new


def fill_like(old: Variable, reference: Variable, value: Variable) -> Variable | None:
    """`value` broadcast to `reference`'s shape with `old`'s type (fill), or None if impossible."""
    filled = M.second(reference, value)
    return fit(filled, old)


def negated(var: Variable) -> Variable:
    """-var, without a double negation."""
    inner = elemwise_op(var, S.Neg)
    return inner.inputs[0] if inner is not None else M.neg(var)


def one_plus(var: Variable) -> Variable | None:
    """x when var is 1 + x (or x + 1), else None."""
    node = elemwise_op(var, S.Add)
    if node is None:
        return None
    a, b = node.inputs
    if is_constant_equal(a, 1):
        return b
    if is_constant_equal(b, 1):
        return a
    return None


def same_value(a: Variable, b: Variable, depth: int = 4) -> bool:
    """Whether a and b surely hold the same value: the same variable, equal constants, or the same
    op applied to inputs that are the same (looking at most `depth` levels down, iteratively)."""
    stack = [(a, b, 0)]
    while stack:
        x, y, level = stack.pop()
        if x is y:
            continue
        if isinstance(x, Constant) and isinstance(y, Constant):
            if x.signature() != y.signature():
                return False
            continue
        if (level >= depth or x.owner is None or y.owner is None or x.index != y.index
                or x.owner.op != y.owner.op or len(x.owner.inputs) != len(y.owner.inputs)):
            return False
        stack.extend((p, q, level + 1) for p, q in zip(x.owner.inputs, y.owner.inputs))
    return True
