"""Products of sigmoids, exponentials and quotients, simplified so that gradients stay finite.

The gradient of a cross-entropy written with `1 / (1 + exp(-x))` divides by the probability and by
`(1 + exp(-x)) ** 2`; where the probability rounds to 0 or 1 that is 0/0 or inf/inf. Read as one
product (numerator and denominator factors), the quotient simplifies: `1 + exp(v)` is
`1 / sigmoid(-v)`, `exp(v) * sigmoid(-v)` is `sigmoid(v)`, equal factors above and below cancel, and
a sum whose terms are divided by a factor of the product is multiplied out so that they cancel.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from graphlab_kernel.gof.graph import Variable
from graphlab_kernel.rewrite.engine import rule
from graphlab_kernel.rewrite.patterns import UNARY, elemwise_op, fit, negated, one_plus, same_value
from graphlab_kernel.tensor import math as M
from graphlab_kernel.tensor import scalar_ops as S
from graphlab_kernel.tensor.var import constant

MAX_FACTORS = 32  # products are read this far and no further, so a long chain costs linear time


@dataclass
class Product:
    """sign * prod(numerator) / prod(denominator)."""

    sign: int = 1
    numerator: list[Variable] = field(default_factory=list)
    denominator: list[Variable] = field(default_factory=list)


def read_product(var: Variable) -> Product:
    """`var` as a product, expanding *, / and unary - nodes (iteratively, at most MAX_FACTORS)."""
    product = Product()
    stack = [(var, True)]
    while stack:
        v, above = stack.pop()
        size = len(product.numerator) + len(product.denominator) + len(stack)
        node = v.owner
        if node is not None and size < MAX_FACTORS and elemwise_op(v, S.Neg):
            product.sign = -product.sign
            stack.append((node.inputs[0], above))
        elif node is not None and size < MAX_FACTORS and elemwise_op(v, S.Mul):
            stack.extend((i, above) for i in reversed(node.inputs))
        elif node is not None and size < MAX_FACTORS and elemwise_op(v, S.TrueDiv):
            stack.append((node.inputs[1], not above))
            stack.append((node.inputs[0], above))
        else:
            (product.numerator if above else product.denominator).append(v)
    return product


def _exp_arg(var):
    node = elemwise_op(var, UNARY["exp"])
    return node.inputs[0] if node is not None else None


def _sigmoid_arg(var):
    node = elemwise_op(var, UNARY["sigmoid"])
    return node.inputs[0] if node is not None else None


def _is_negation_of(a, b) -> bool:
    """Whether a is -b (or b is -a)."""
    na, nb = elemwise_op(a, S.Neg), elemwise_op(b, S.Neg)
    return bool((na and same_value(na.inputs[0], b)) or (nb and same_value(nb.inputs[0], a)))


def _one_plus_exp_arg(var):
    """v when var is 1 + exp(v) (or exp(v) + 1)."""
    rest = one_plus(var)
    return _exp_arg(rest) if rest is not None else None


def _replace_one_plus_exp(p: Product) -> bool:
    """x / (1 + exp(v)) -> x * sigmoid(-v)"""
    for k, f in enumerate(p.denominator):
        v = _one_plus_exp_arg(f)
        if v is not None:
            del p.denominator[k]
            p.numerator.append(M.sigmoid(negated(v)))
            return True
    return False


def _combine_exp_sigmoid(p: Product) -> bool:
    """exp(v) * sigmoid(-v) -> sigmoid(v); sigmoid(v) / exp(v) -> sigmoid(-v)."""
    for i, f in enumerate(p.numerator):
        v = _exp_arg(f)
        if v is None:
            continue
        for j, g in enumerate(p.numerator):
            if j != i and _sigmoid_arg(g) is not None and _is_negation_of(_sigmoid_arg(g), v):
                p.numerator[i] = M.sigmoid(v)
                del p.numerator[j]
                return True
    for i, f in enumerate(p.denominator):
        v = _exp_arg(f)
        if v is None:
            continue
        for j, g in enumerate(p.numerator):
            if _sigmoid_arg(g) is not None and same_value(_sigmoid_arg(g), v):
                p.numerator[j] = M.sigmoid(negated(v))
                del p.denominator[i]
                return True
    return False


def _cancel(p: Product) -> bool:
    """f * ... / (f * ...) -> ... / ..."""
    for i, f in enumerate(p.numerator):
        for j, g in enumerate(p.denominator):
            if same_value(f, g):
                del p.numerator[i]
                del p.denominator[j]
                return True
    return False


def _sum_terms(var):
    """[(sign, term)] when var is a + b or a - b, else None."""
    node = elemwise_op(var, S.Add) or elemwise_op(var, S.Sub)
    if node is None:
        return None
    a, b = node.inputs
    return [(1, a), (1 if isinstance(node.op.scalar_op, S.Add) else -1, b)]


def _divides_by_one_of(term: Variable, factors: list[Variable]) -> bool:
    below = read_product(term).denominator
    return any(same_value(d, f) for d in below for f in factors)


def _distribute(p: Product) -> bool:
    """(a/f + b/g) * f * g -> a * g + b * f, when every term is divided by a factor of the product."""
    for k, f in enumerate(p.numerator):
        terms = _sum_terms(f)
        if terms is None:
            continue
        rest = p.numerator[:k] + p.numerator[k + 1:]
        if not rest or not all(_divides_by_one_of(t, rest) for _, t in terms):
            continue
        new_terms = [_build(Product(1, [t] + rest, [])) for _, t in terms]
        total = new_terms[0]
        for (sign, _), t in zip(terms[1:], new_terms[1:]):
            total = M.add(total, t) if sign > 0 else M.sub(total, t)
        p.numerator = [total]
        return True
    return False


def _build(p: Product) -> Variable:
    numerator = p.numerator[0] if p.numerator else None
    for f in p.numerator[1:]:
        numerator = M.mul(numerator, f)
    denominator = p.denominator[0] if p.denominator else None
    for f in p.denominator[1:]:
        denominator = M.mul(denominator, f)
    if numerator is None:
        numerator = constant(np.ones((), dtype=_dtype_of(p)))
    result = numerator if denominator is None else M.true_div(numerator, denominator)
    return M.neg(result) if p.sign < 0 else result


def _dtype_of(p: Product) -> str:
    return (p.numerator + p.denominator)[0].dtype if p.numerator or p.denominator else "float64"


SIMPLIFICATIONS = (_replace_one_plus_exp, _combine_exp_sigmoid, _cancel, _distribute)


@rule(S.Mul, S.TrueDiv)
def simplify_sigmoid_product(fgraph, node):
    """products of sigmoid, exp, 1 + exp and quotients -> simplified product (finite gradients)"""
    out = node.outputs[0]
    if np.dtype(out.dtype).kind != "f":
        return None
    product = read_product(out)
    changed = False
    for _ in range(4 * MAX_FACTORS):
        if not any(step(product) for step in SIMPLIFICATIONS):
            break
        changed = True
    if not changed:
        return None
    return fit(_build(product), out)


PRODUCT_RULES = (simplify_sigmoid_product,)
