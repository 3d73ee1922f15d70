"""Canonicalize and simplify: remove what computes nothing and combine constants."""

from __future__ import annotations

from graphlab_kernel.gradient import GradientOverride
from graphlab_kernel.ifelse import IfElse
from graphlab_kernel.rewrite.engine import rule
from graphlab_kernel.rewrite.merge import constant_folding
from graphlab_kernel.rewrite.patterns import (
    constant_value,
    elemwise_op,
    fill_like,
    fit,
    folded_constant,
    is_constant_equal,
    same_value,
    strip_broadcast,
)
from graphlab_kernel.tensor import math as M
from graphlab_kernel.tensor import scalar_ops as S
from graphlab_kernel.tensor.elemwise import DimShuffle
from graphlab_kernel.tensor.shape import Alloc, Shape, Shape_i
from graphlab_kernel.tensor.subtensor import Subtensor


def _other_when_constant(node, value):
    """For a binary node with one input equal to the constant `value`, the other input."""
    a, b = node.inputs
    if is_constant_equal(b, value):
        return a
    if is_constant_equal(a, value):
        return b
    return None


def _widened(x, out):
    """`x` cast to the dtype of `out` first, so that a replacement computes in the result's dtype:
    -x of a uint8 x in `x * -1.0` must not wrap around before becoming a float."""
    return x if x.dtype == out.dtype else M.cast(x, out.dtype)


def _left_when_right_is(node, value):
    """For a binary node whose right input is the constant `value`, the left input."""
    x, y = node.inputs
    return x if is_constant_equal(y, value) else None


@rule(S.Mul)
def mul_by_one(fgraph, node):
    """x * 1 -> x"""
    return fit(_other_when_constant(node, 1), node.outputs[0])


@rule(S.Add)
def add_zero(fgraph, node):
    """x + 0 -> x"""
    return fit(_other_when_constant(node, 0), node.outputs[0])


@rule(S.Sub)
def sub_zero(fgraph, node):
    """x - 0 -> x"""
    return fit(_left_when_right_is(node, 0), node.outputs[0])


@rule(S.Sub)
def sub_self(fgraph, node):
    """x - x -> 0"""
    x, y = node.inputs
    if not same_value(x, y):
        return None
    out = node.outputs[0]
    return fill_like(out, x, folded_constant(0, out.dtype))


@rule(S.Sub)
def sub_zero_from(fgraph, node):
    """0 - x -> -x"""
    x, y = node.inputs
    if not is_constant_equal(x, 0):
        return None
    return fit(M.neg(_widened(y, node.outputs[0])), node.outputs[0])


@rule(S.TrueDiv)
def div_by_one(fgraph, node):
    """x / 1 -> x"""
    return fit(_left_when_right_is(node, 1), node.outputs[0])


@rule(S.Neg)
def neg_neg(fgraph, node):
    """--x -> x"""
    inner = elemwise_op(node.inputs[0], S.Neg)
    return fit(inner.inputs[0], node.outputs[0]) if inner is not None else None


@rule(S.Mul)
def mul_by_minus_one(fgraph, node):
    """x * -1 -> -x"""
    other = _other_when_constant(node, -1)
    out = node.outputs[0]
    return fit(M.neg(_widened(other, out)), out) if other is not None else None


@rule(S.Pow)
def pow_one(fgraph, node):
    """x ** 1 -> x"""
    return fit(_left_when_right_is(node, 1), node.outputs[0])


@rule(S.Pow)
def pow_two(fgraph, node):
    """x ** 2 -> sqr(x)"""
    x = _left_when_right_is(node, 2)
    out = node.outputs[0]
    return fit(M.sqr(_widened(x, out)), out) if x is not None else None


@rule(S.Second)
def fill_known_shape(fgraph, node):
    """fill(x, y) -> y when y already has the shape of the result (x is a scalar)"""
    x, y = node.inputs
    out = node.outputs[0]
    if all(x.broadcastable) and y.broadcastable == out.broadcastable:
        return fit(y, out)
    return None


@rule(S.Second)
def fill_of_fill(fgraph, node):
    """fill(x, fill(x2, y)) -> fill(x, y) when x2 is x"""
    x, y = node.inputs
    inner = elemwise_op(y, S.Second)
    if inner is None or not same_value(inner.inputs[0], x):
        return None
    return fit(M.second(x, inner.inputs[1]), node.outputs[0])


@rule(S.Add, S.Mul, S.Sub, S.TrueDiv, S.Pow, S.Maximum, S.Minimum)
def fill_sink(fgraph, node):
    """op(fill(x, c), x) -> op(c, x): the other operand already gives the shape"""
    out = node.outputs[0]
    for position, inp in enumerate(node.inputs):
        filler = elemwise_op(inp, S.Second)
        if filler is None:
            continue
        shape_of, value = filler.inputs
        others = [v for k, v in enumerate(node.inputs) if k != position]
        if not any(same_value(shape_of, o) and o.broadcastable == out.broadcastable for o in others):
            continue
        if value.dtype != inp.dtype:
            value = M.cast(value, inp.dtype)
        new_inputs = list(node.inputs)
        new_inputs[position] = value
        return fit(node.op(*new_inputs), out)
    return None


@rule(Subtensor)
def shape_index(fgraph, node):
    """shape(x)[i] -> shape_i(x, i)"""
    source = node.inputs[0].owner
    if source is None or not isinstance(source.op, Shape) or len(node.inputs) != 1:
        return None
    if len(node.op.idx_list) != 1 or node.op.idx_list[0][0] != "index":
        return None
    x, axis = source.inputs[0], node.op.idx_list[0][1]
    if not isinstance(axis, int) or not -x.ndim <= axis < x.ndim:
        return None
    return fit(Shape_i(axis % x.ndim)(x), node.outputs[0])


@rule(GradientOverride)
def gradient_override(fgraph, node):
    """zero_grad(x) -> x (and disconnected_grad, grad_clip, grad_scale: only grad reads them)"""
    return node.inputs[0]


@rule(Alloc)
def alloc_of_own_shape(fgraph, node):
    """alloc(x, x.shape[0], ..., x.shape[n-1]) -> x"""
    value, *lengths = node.inputs
    if value.ndim != len(lengths):
        return None
    for axis, length in enumerate(lengths):
        owner = length.owner
        if (owner is None or not isinstance(owner.op, Shape_i) or owner.op.i != axis
                or not same_value(owner.inputs[0], value)):
            return None
    return fit(value, node.outputs[0])


@rule(Alloc)
def alloc_of_scalar_shape(fgraph, node):
    """alloc(x) with no lengths -> x"""
    value, *lengths = node.inputs
    return fit(value, node.outputs[0]) if not lengths else None


@rule(IfElse)
def ifelse_known_condition(fgraph, node):
    """ifelse(constant c, a, b) -> a if c else b"""
    condition = constant_value(node.inputs[0])
    if condition is None:
        return None
    n = node.op.n_outs
    start = 1 if node.op.choose(node, condition) else 1 + n
    return [fit(v, o) for v, o in zip(node.inputs[start:start + n], node.outputs)]


@rule(IfElse)
def ifelse_same_branches(fgraph, node):
    """ifelse(c, a, a) -> a"""
    n = node.op.n_outs
    pairs = zip(node.inputs[1:1 + n], node.inputs[1 + n:], node.outputs)
    return [fit(a, o) if same_value(a, b) else None for a, b, o in pairs]


def _constant_and_other(node):
    """(constant input, other input) of a binary node with exactly one constant input."""
    a, b = node.inputs
    ca, cb = constant_value(a), constant_value(b)
    if ca is not None and cb is None:
        return a, b
    if cb is not None and ca is None:
        return b, a
    return None


@rule(S.Add, S.Mul)
def combine_constants(fgraph, node):
    """(x + c1) + c2 -> x + (c1 + c2), and the same for *"""
    outer = _constant_and_other(node)
    if outer is None:
        return None
    c2, inner_var = outer
    inner = elemwise_op(inner_var, type(node.op.scalar_op))
    if inner is None or len(fgraph.clients_of(inner_var)) != 1:
        return None
    found = _constant_and_other(inner)
    if found is None:
        return None
    c1, x = found
    if inner_var.dtype != node.outputs[0].dtype:  # (int8 x * 2) * 0.5 wraps before the float
        return None
    combined = node.op(strip_broadcast(c1), strip_broadcast(c2))
    folded = constant_folding(fgraph, combined.owner)
    if folded is None:
        return None
    return fit(node.op(x, folded[0]), node.outputs[0])


@rule(S.Cast)
def cast_to_same(fgraph, node):
    """cast(x, dtype of x) -> x"""
    x = node.inputs[0]
    return x if x.type == node.outputs[0].type else None


@rule(DimShuffle)
def dimshuffle_identity(fgraph, node):
    """dimshuffle(x, identity pattern) -> x"""
    x = node.inputs[0]
    op = node.op
    if tuple(op.new_order) == tuple(range(x.ndim)) and x.type == node.outputs[0].type:
        return x
    return None


@rule(DimShuffle)
def dimshuffle_of_dimshuffle(fgraph, node):
    """dimshuffle(dimshuffle(x, p), q) -> dimshuffle(x, p then q)"""
    inner = node.inputs[0].owner
    if inner is None or not isinstance(inner.op, DimShuffle):
        return None
    first, second = inner.op.new_order, node.op.new_order
    pattern = [d if d == "x" else first[d] for d in second]
    x = inner.inputs[0]
    if pattern == list(range(x.ndim)):
        return fit(x, node.outputs[0])
    return fit(DimShuffle(x.broadcastable, pattern)(x), node.outputs[0])


@rule(M.Reduce)
def reduce_over_length_one(fgraph, node):
    """sum(x, axis=a) over axes of length 1 (broadcastable) -> x without them"""
    (x,), op = node.inputs, node.op
    ones = [a for a in op.axis if x.broadcastable[a]]
    if not ones:
        return None  # the gradient of a broadcast bias makes such sums: sum(b.dimshuffle('x', 0))
    keep = [d for d in range(x.ndim) if d not in ones]
    y = DimShuffle(x.broadcastable, keep)(x)
    rest = tuple(keep.index(a) for a in op.axis if a not in ones)
    return fit(M.Reduce(op.kind, rest)(y) if rest else y, node.outputs[0])


def _neg_inner(var, out):
    """x for var = -x, when var and x have out's dtype (-u of a uint8 u wraps around, so b + -u
    is not b - u computed in a wider dtype); else None."""
    node = elemwise_op(var, S.Neg)
    if node is None or not var.dtype == node.inputs[0].dtype == out.dtype:
        return None
    return node.inputs[0]


@rule(S.Add)
def add_neg(fgraph, node):
    """x + -y -> x - y"""
    a, b = node.inputs
    out = node.outputs[0]
    for x, y in ((a, b), (b, a)):
        inner = _neg_inner(y, out)
        if inner is not None:
            return fit(M.sub(x, inner), out)
    return None


@rule(S.Sub)
def sub_neg(fgraph, node):
    """x - -y -> x + y"""
    a, b = node.inputs
    inner = _neg_inner(b, node.outputs[0])
    return fit(M.add(a, inner), node.outputs[0]) if inner is not None else None


@rule(S.Mul)
def mul_neg_neg(fgraph, node):
    """-x * -y -> x * y"""
    a, b = (_neg_inner(v, node.outputs[0]) for v in node.inputs)
    if a is None or b is None:
        return None
    return fit(M.mul(a, b), node.outputs[0])


@rule(S.Sqr)
def sqr_of_neg(fgraph, node):
    """sqr(-x) -> sqr(x)"""
    inner = _neg_inner(node.inputs[0], node.outputs[0])
    return fit(M.sqr(inner), node.outputs[0]) if inner is not None else None


CANONICALIZE_RULES = (
    constant_folding, mul_by_one, add_zero, sub_zero, sub_self, sub_zero_from, div_by_one,
    neg_neg, mul_by_minus_one, pow_one, pow_two, fill_known_shape, fill_of_fill, fill_sink,
    gradient_override, shape_index, alloc_of_own_shape, alloc_of_scalar_shape, ifelse_known_condition, ifelse_same_branches,
    combine_constants, cast_to_same, dimshuffle_identity, dimshuffle_of_dimshuffle,
    reduce_over_length_one, add_neg, sub_neg, mul_neg_neg, sqr_of_neg,
)
