"""Stabilize: rewrite expressions that overflow or lose precision into numerically stable forms."""

from __future__ import annotations

from graphlab_kernel.rewrite.engine import rule
from graphlab_kernel.rewrite.patterns import (UNARY, elemwise_op, fit, is_constant_equal,
                                              negated, one_plus)
from graphlab_kernel.rewrite.products import PRODUCT_RULES
from graphlab_kernel.tensor import math as M
from graphlab_kernel.tensor import scalar_ops as S
from graphlab_kernel.tensor.nnet import Softmax, SoftmaxGrad, log_softmax


def _one_minus(var):
    """x when var is 1 - x, else None."""
    node = elemwise_op(var, S.Sub)
    if node is None or not is_constant_equal(node.inputs[0], 1):
        return None
    return node.inputs[1]


def _inner(var, scalar_cls):
    node = elemwise_op(var, scalar_cls)
    return node.inputs[0] if node is not None else None


@rule(S.TrueDiv)
def sigmoid_from_division(fgraph, node):
    """1 / (1 + exp(-x)) -> sigmoid(x)"""
    numerator, denominator = node.inputs
    if not is_constant_equal(numerator, 1):
        return None
    rest = one_plus(denominator)
    power = _inner(rest, UNARY["exp"]) if rest is not None else None
    if power is None:
        return None
    return fit(M.sigmoid(negated(power)), node.outputs[0])


@rule(S.TrueDiv)
def sigmoid_from_exp_ratio(fgraph, node):
    """exp(x) / (1 + exp(x)) -> sigmoid(x)"""
    numerator, denominator = node.inputs
    x = _inner(numerator, UNARY["exp"])
    rest = one_plus(denominator)
    if x is None or rest is None or _inner(rest, UNARY["exp"]) is not x:
        return None
    return fit(M.sigmoid(x), node.outputs[0])


@rule(S.Sub)
def one_minus_sigmoid(fgraph, node):
    """1 - sigmoid(x) -> sigmoid(-x)"""
    x = _inner(node.inputs[1], UNARY["sigmoid"])
    if x is None or not is_constant_equal(node.inputs[0], 1):
        return None
    return fit(M.sigmoid(negated(x)), node.outputs[0])


@rule(UNARY["log"])
def log_sigmoid(fgraph, node):
    """log(sigmoid(x)) -> -softplus(-x)"""
    x = _inner(node.inputs[0], UNARY["sigmoid"])
    return fit(M.neg(M.softplus(negated(x))), node.outputs[0]) if x is not None else None


@rule(UNARY["log"])
def log_one_minus_sigmoid(fgraph, node):
    """log(1 - sigmoid(x)) -> -softplus(x)"""
    rest = _one_minus(node.inputs[0])
    x = _inner(rest, UNARY["sigmoid"]) if rest is not None else None
    return fit(M.neg(M.softplus(x)), node.outputs[0]) if x is not None else None


@rule(UNARY["log"])
def log_one_plus(fgraph, node):
    """log(1 + x) -> log1p(x)"""
    x = one_plus(node.inputs[0])
    return fit(M.log1p(x), node.outputs[0]) if x is not None else None


@rule(UNARY["log1p"])
def softplus_from_log1p_exp(fgraph, node):
    """log1p(exp(x)) -> softplus(x)"""
    x = _inner(node.inputs[0], UNARY["exp"])
    return fit(M.softplus(x), node.outputs[0]) if x is not None else None


@rule(S.Sub)
def expm1_from_exp(fgraph, node):
    """exp(x) - 1 -> expm1(x)"""
    a, b = node.inputs
    x = _inner(a, UNARY["exp"])
    if x is None or not is_constant_equal(b, 1):
        return None
    return fit(M.expm1(x), node.outputs[0])


@rule(UNARY["log"])
def log_of_softmax(fgraph, node):
    """log(softmax(x)) -> log_softmax(x)"""
    inner = node.inputs[0].owner
    if inner is None or not isinstance(inner.op, Softmax):
        return None
    return fit(log_softmax(inner.inputs[0]), node.outputs[0])


@rule(SoftmaxGrad)
def log_softmax_grad(fgraph, node):
    """softmax_grad(g / sm, sm) -> g - sum(g) * sm, the gradient of log(softmax(x))"""
    dy, sm = node.inputs
    div = elemwise_op(dy, S.TrueDiv)
    if div is None or div.inputs[1] is not sm:
        return None
    g = div.inputs[0]
    if g.broadcastable != dy.broadcastable:  # summing a broadcast g would count it once
        g = M.second(sm, g)
    return fit(g - M.sum(g, axis=-1, keepdims=True) * sm, node.outputs[0])


STABILIZE_RULES = (
    sigmoid_from_division, sigmoid_from_exp_ratio, one_minus_sigmoid, log_sigmoid,
    log_one_minus_sigmoid, log_one_plus, softplus_from_log1p_exp, expm1_from_exp, log_of_softmax,
    log_softmax_grad,
) + PRODUCT_RULES
