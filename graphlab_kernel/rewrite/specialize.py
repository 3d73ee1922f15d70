"""Specialize: a dot product followed by a scale and an add becomes one Gemv / Gemm."""

from __future__ import annotations

from graphlab_kernel.rewrite.engine import rule
from graphlab_kernel.rewrite.patterns import elemwise_op, scalar_constant, strip_broadcast
from graphlab_kernel.tensor import math as M
from graphlab_kernel.tensor import scalar_ops as S
from graphlab_kernel.tensor.blas import gemm, gemv
from graphlab_kernel.tensor.elemwise import DimShuffle
from graphlab_kernel.tensor.math import Dot
from graphlab_kernel.tensor.var import constant


def _as_scalar(var, dtype):
    """`var` as a 0-d variable of `dtype` when it is one value broadcast, else None."""
    if not all(var.broadcastable):
        return None
    value = scalar_constant(var)
    if value is not None:
        return constant(value, dtype=dtype)
    inner = strip_broadcast(var)
    if inner.ndim != 0:
        return None
    return inner if inner.dtype == dtype else M.cast(inner, dtype)


def _scaled_dot(var):
    """(alpha, dot node) when var is dot(a, b), s * dot(a, b), dot(a, b) * s or -dot(a, b)."""
    if var.owner is not None and isinstance(var.owner.op, Dot):
        return constant(1, dtype=var.dtype), var.owner
    neg = elemwise_op(var, S.Neg)
    if neg is not None and neg.inputs[0].owner is not None and isinstance(neg.inputs[0].owner.op, Dot):
        return constant(-1, dtype=var.dtype), neg.inputs[0].owner
    mul = elemwise_op(var, S.Mul)
    if mul is None:
        return None
    for s, d in (mul.inputs, reversed(mul.inputs)):
        if d.owner is not None and isinstance(d.owner.op, Dot):
            alpha = _as_scalar(s, var.dtype)
            if alpha is not None:
                return alpha, d.owner
    return None


def _scaled_z(z, dtype):
    """(beta, y) when z is c * y (or y * c) for one value c, else (1, z): weight decay's
    `0.9 * W - lr * dot(...)` is then gemm(W, -lr, ..., 0.9), which reads W itself."""
    mul = elemwise_op(z, S.Mul)
    if mul is not None and len(mul.inputs) == 2:
        for s, y in (mul.inputs, reversed(mul.inputs)):
            beta = _as_scalar(s, dtype)
            if beta is not None and y.type == z.type:
                return beta, y
    return constant(1, dtype=dtype), z


def _blas_call(z, alpha, dot_node, out):
    a, b = dot_node.inputs
    if z.type != out.type or dot_node.outputs[0].dtype != out.dtype or a.dtype != b.dtype:
        return None
    if a.dtype != out.dtype:
        return None
    beta, z = _scaled_z(z, out.dtype)
    if a.ndim == 2 and b.ndim == 2:
        return gemm(z, alpha, a, b, beta)
    if a.ndim == 2 and b.ndim == 1:
        return gemv(z, alpha, a, b, beta)
    if a.ndim == 1 and b.ndim == 2:  # x . B == B.T . x
        return gemv(z, alpha, DimShuffle(b.broadcastable, (1, 0))(b), a, beta)
    return None


@rule(S.Add)
def gemv_from_add(fgraph, node):
    """b * y + a * dot(A, x) -> gemv(y, a, A, x, b) (gemm for matrices; b = 1 when absent)"""
    out = node.outputs[0]
    for term, z in (node.inputs, reversed(node.inputs)):
        found = _scaled_dot(term)
        if found is not None:
            result = _blas_call(z, found[0], found[1], out)
            if result is not None:
                return result
    return None


@rule(S.Sub)
def gemv_from_sub(fgraph, node):
    """b * y - a * dot(A, x) -> gemv(y, -a, A, x, b) (gemm for matrices; b = 1 when absent)"""
    z, term = node.inputs
    found = _scaled_dot(term)
    if found is None:
        return None
    return _blas_call(z, M.neg(found[0]), found[1], node.outputs[0])


SPECIALIZE_RULES = (gemv_from_add, gemv_from_sub)
