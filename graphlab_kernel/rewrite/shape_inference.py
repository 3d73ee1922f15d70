"""Shape inference, as Theano's ShapeFeature did it, checks kept.

A shape read off an op's result (`Shape`, `Shape_i`) becomes the lengths the op gives, computed
from its inputs' shapes by the op's `infer_shape` (graphlab_kernel.tensor.shape_checks), so that
the op need not run when nothing else reads its result: `(T.exp(x) + y).shape` computes no exp.
Where the op checks its inputs' shapes (lengths that must agree, a reshape that must fit), the
lengths carry the same checks (`CheckShapes` nodes), which fail with the op's own message; a check
known to pass is removed, so `(T.exp(x) + x).shape` is `x.shape`.

The rules work one node at a time, from the shape read towards the graph's inputs: the lengths
of `f(g(x))` are written with `g(x).shape[k]`, which the next visit infers in turn. When the
result is computed anyway (something other than a shape reads it), reading its shape costs
nothing, and the rules replace the read only by lengths that cost nothing either (no check, only
arithmetic on scalars): `T.mean(x + y)` keeps reading the sum's shape.
"""

from __future__ import annotations

import numpy as np

from graphlab_kernel.gof.fg import OUTPUT
from graphlab_kernel.gof.graph import Constant
from graphlab_kernel.rewrite.engine import rule
from graphlab_kernel.rewrite.merge import constant_folding
from graphlab_kernel.rewrite.patterns import fit, is_constant_equal, same_value
from graphlab_kernel.tensor import scalar_ops as S
from graphlab_kernel.tensor.elemwise import DimShuffle, Elemwise
from graphlab_kernel.tensor.shape import Join, Shape, Shape_i, stack
from graphlab_kernel.tensor.math import Reduce
from graphlab_kernel.tensor.lengths import length, nonnegative, static
from graphlab_kernel.tensor.shape_checks import CheckShapes, after_shapes
from graphlab_kernel.tensor.subtensor import Subtensor
from graphlab_kernel.tensor.type import FLOAT_DTYPES
from graphlab_kernel.tensor.var import constant


def input_shapes(node) -> list[list]:
    """Each input's lengths: `x.shape[k]`, or 1 on an axis its type says is broadcastable (the
    same list for an input read twice, so that its lengths are the same variables)."""
    shapes: dict = {}
    for v in node.inputs:
        if v not in shapes:
            shapes[v] = [length(1) if b else Shape_i(k)(v) for k, b in enumerate(v.broadcastable)]
    return [shapes[v] for v in node.inputs]


def inferred_shape(fgraph, var) -> tuple[list, object] | None:
    """(the lengths of `var` as int64 scalars, computed from its node's inputs' shapes; a guard
    putting a value behind the checks computing `var` makes), or None when its op cannot tell.

    A computed input whose shape the lengths do not read (a scalar added to a matrix) must still
    be computable: the lengths then also wait for its shape, which carries its own checks once
    inferred in turn."""
    node = var.owner
    infer = getattr(node.op, "infer_shape", None) if node is not None else None
    if infer is None:
        return None
    shapes = infer(node, input_shapes(node))
    if shapes is None:
        return None
    lengths = [length(n) for n in shapes[var.index]]
    guard = getattr(shapes[var.index], "guard", None) or (lambda value: value)
    probe = guard(length(0))
    read = {v for n in _new_nodes(fgraph, [*lengths, probe]) for v in n.inputs} | set(lengths)
    unread = [u for u in dict.fromkeys(node.inputs) if u.owner is not None and u not in read]
    if not unread:
        return lengths, guard
    source = str(node.op)

    def guard_all(value):
        return after_shapes(guard(value), unread, source)

    return [after_shapes(n, unread, source) for n in lengths], guard_all


def _new_nodes(fgraph, outputs) -> list:
    """The nodes computing `outputs` that the graph does not have yet (a rewrite's new part)."""
    found, seen = [], set()
    stack = [v.owner for v in outputs if v.owner is not None and v not in fgraph.clients]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        found.append(node)
        stack += [v.owner for v in node.inputs
                  if v.owner is not None and v not in fgraph.clients]
    return found


def _only_shapes_read(fgraph, node) -> bool:
    """Whether nothing but shape reads uses the node's results: it need not run once they are
    inferred."""
    return all(client != OUTPUT and isinstance(client.op, (Shape, Shape_i))
               for out in node.outputs for client, _ in fgraph.clients_of(out))


def _costs_nothing(fgraph, lengths) -> bool:
    """Whether the lengths are computed by shape reads and arithmetic on scalars only (no
    check, no pass over an array)."""
    for node in _new_nodes(fgraph, lengths):
        if isinstance(node.op, (Shape, Shape_i)):
            continue
        scalars = all(v.ndim == 0 for v in node.outputs)
        if isinstance(node.op, CheckShapes) or not scalars:
            return False
        if not isinstance(node.op, Subtensor) and any(v.ndim for v in node.inputs):
            return False
    return True


def _worth_it(fgraph, var, lengths) -> bool:
    return _only_shapes_read(fgraph, var.owner) or _costs_nothing(fgraph, lengths)


@rule(Shape_i)
def shape_i_inferred(fgraph, node):
    """op(inputs).shape[i] -> the length op gives axis i, from its inputs' shapes, checks kept"""
    var = node.inputs[0]
    inferred = inferred_shape(fgraph, var)
    if inferred is None:
        return None
    n = inferred[0][node.op.i]
    return fit(n, node.outputs[0]) if _worth_it(fgraph, var, [n]) else None


def _own_shape(lengths):
    """x when the lengths are x's own (x.shape[k], or 1 where x broadcasts), else None."""
    found = next((n.owner.inputs[0] for n in lengths
                  if n.owner is not None and isinstance(n.owner.op, Shape_i)), None)
    if found is None or found.ndim != len(lengths):
        return None
    for k, n in enumerate(lengths):
        if found.broadcastable[k] and static(n) == 1:
            continue
        if n.owner is None or not isinstance(n.owner.op, Shape_i) or n.owner.op.i != k \
                or not same_value(n.owner.inputs[0], found):
            return None
    return found


def _stacked(lengths):
    """The lengths as a shape vector."""
    if not lengths:
        return constant(np.zeros(0, dtype="int64"))
    if len(lengths) == 1:
        return DimShuffle((), ("x",))(lengths[0])
    return stack(lengths)


@rule(Shape)
def shape_inferred(fgraph, node):
    """shape(op(inputs)) -> the lengths op gives, from its inputs' shapes, checks kept"""
    var = node.inputs[0]
    inferred = inferred_shape(fgraph, var)
    if inferred is None:
        return None
    lengths, guard = inferred
    own = _own_shape(lengths)
    if own is not None:
        return fit(Shape()(own), node.outputs[0])
    if not _only_shapes_read(fgraph, var.owner):
        return None  # computed anyway: its shape costs nothing, a stack of lengths does
    # a 0-d result's shape is empty: the checks computing it make are hung on the vector
    return fit(guard(_stacked(lengths)) if not lengths else _stacked(lengths), node.outputs[0])


@rule(Join)
def shape_of_its_lengths(fgraph, node):
    """stack(x.shape[0], ..., x.shape[n - 1]) -> shape(x)"""
    if node.op.axis != 0:
        return None
    lengths = []
    for piece in node.inputs:
        inner = piece.owner
        if inner is None or not isinstance(inner.op, DimShuffle) or inner.op.new_order != ("x",):
            return None
        lengths.append(inner.inputs[0])
    own = _own_shape(lengths)
    return None if own is None else fit(Shape()(own), node.outputs[0])


def _holds(condition, depth: int = 3) -> bool:
    """Whether a condition surely holds, and removing it drops nothing: a true constant; a == a,
    a <= a, a >= a, a >= 0 for `a` arithmetic on the lengths of the graph's inputs; an `and`,
    `or` or `all` of such."""
    if isinstance(condition, Constant):
        return bool(np.all(condition.data))
    node = condition.owner
    if node is None or depth == 0:
        return False
    if isinstance(node.op, Reduce) and node.op.kind == "all":
        return _holds(node.inputs[0], depth - 1)
    if not isinstance(node.op, Elemwise):
        return False
    scalar = node.op.scalar_op
    if isinstance(scalar, (S.And, S.Or)):
        held = [_holds(v, depth - 1) for v in node.inputs]
        return all(held) if isinstance(scalar, S.And) else any(held)
    if len(node.inputs) != 2 or node.inputs[0].dtype in FLOAT_DTYPES:  # NaN != NaN
        return False
    a, b = node.inputs
    if isinstance(scalar, (S.EQ, S.GE, S.LE)) and same_value(a, b):
        return _plain(a)
    return isinstance(scalar, S.GE) and is_constant_equal(b, 0) and _plain(a)


def _plain(var, limit: int = 64) -> bool:
    """Whether `var` is arithmetic on constants and on the shapes of the graph's inputs (arrays
    that exist), with no check in it: removing a condition on it drops nothing (looking at
    `limit` nodes at most)."""
    stack, seen = [var], 0
    while stack:
        v = stack.pop()
        node = v.owner
        if node is None:
            if not isinstance(v, Constant):
                return False
            continue
        seen += 1
        if seen > limit or isinstance(node.op, CheckShapes):
            return False
        if isinstance(node.op, (Shape, Shape_i)):
            if node.inputs[0].owner is not None:
                return False
            continue
        stack += node.inputs
    return True


def _unwrapped(var) -> tuple:
    """(the value under a chain of checks, the check nodes of the chain, outermost first)."""
    checks = []
    while var.owner is not None and isinstance(var.owner.op, CheckShapes):
        checks.append(var.owner)
        var = var.owner.inputs[0]
    return var, checks


def _made_by(checks) -> list:
    """The conditions the check nodes make."""
    return [c for node in checks for c in node.inputs[1:1 + node.op.n_conditions]]


@rule(CheckShapes)
def check_known_to_pass(fgraph, node):
    """check(n, conditions known to hold, or checked on n already) -> n"""
    op = node.op
    value, conditions = node.inputs[0], node.inputs[1:1 + op.n_conditions]
    made = _made_by(_unwrapped(value)[1])
    pending = [c for c in conditions
               if not _holds(c) and not any(same_value(c, d) for d in made)]
    if len(pending) == len(conditions):
        return None
    if not pending:
        return value
    fewer = CheckShapes(op.source, op.parts, len(pending), op.index_error)
    return fewer(value, *pending, *node.inputs[1 + op.n_conditions:])


@rule(S.EQ, S.GE, S.LE)
def length_against_itself(fgraph, node):
    """n == check(n, c) -> check(True, c) (and <=, >=: a length against a checked copy)"""
    a, b = node.inputs
    if a.ndim or a.dtype in FLOAT_DTYPES:
        return None
    (base_a, checks_a), (base_b, checks_b) = _unwrapped(a), _unwrapped(b)
    if not (checks_a or checks_b) or not same_value(base_a, base_b) or not _plain(base_a):
        return None
    result, done = constant(True, dtype="bool"), []
    for check in reversed(checks_a + checks_b):  # innermost first, each once
        if not any(same_value(check.outputs[0], d.outputs[0]) for d in done):
            result = check.op(result, *check.inputs[1:])
            done.append(check)
    return fit(result, node.outputs[0])


def _checked_lengths(var):
    """The check node of `var` when var is a length (or lengths) surely at least 0 behind a
    check: check(n, c)."""
    node = var.owner
    if node is None or not isinstance(node.op, CheckShapes):
        return None
    value = node.inputs[0]
    if isinstance(value, Constant):
        return node if np.all(value.data >= 0) else None
    pieces = [value]
    if value.owner is not None and isinstance(value.owner.op, Join):  # a stack of lengths
        pieces = [v.owner.inputs[0] if v.owner is not None and isinstance(v.owner.op, DimShuffle)
                  else v for v in value.owner.inputs]
    return node if all(p.ndim == 0 and nonnegative(p) for p in pieces) else None


def _check_alone(check):
    """The check's conditions on a value that is only True (a condition that holds once they
    do)."""
    return check.op(constant(True, dtype="bool"), *check.inputs[1:])


@rule(S.GE, Reduce)
def length_of_checked_shape(fgraph, node):
    """check(n, c) >= 0 -> check(True, c) for a length n (and all(...) of a shape vector)"""
    if isinstance(node.op, Reduce):
        (inner,), out = node.inputs, node.outputs[0]
        if node.op.kind != "all" or out.ndim or inner.owner is None:
            return None
        node = inner.owner
        if not (isinstance(node.op, Elemwise) and isinstance(node.op.scalar_op, S.GE)):
            return None
    else:
        out = node.outputs[0]
    checked, zero = node.inputs
    check = _checked_lengths(checked)
    if check is None or not is_constant_equal(zero, 0) or out.ndim:
        return None
    return fit(_check_alone(check), out)


@rule(CheckShapes)
def check_of_a_check(fgraph, node):
    """check(v, check(True, c), ...) -> check(check(v, c), ...)"""
    op = node.op
    value, conditions = node.inputs[0], node.inputs[1:1 + op.n_conditions]
    for k, condition in enumerate(conditions):
        inner = condition.owner
        if inner is None or not isinstance(inner.op, CheckShapes) \
                or not is_constant_equal(inner.inputs[0], True):
            continue
        passed = inner.op(value, *inner.inputs[1:])
        rest = [c for j, c in enumerate(conditions) if j != k]
        if not rest:
            return passed
        fewer = CheckShapes(op.source, op.parts, len(rest), op.index_error)
        return fewer(passed, *rest, *node.inputs[1 + op.n_conditions:])
    return None


SHAPE_INFERENCE_RULES = (shape_i_inferred, shape_inferred, shape_of_its_lengths,
                         check_known_to_pass, length_against_itself, length_of_checked_shape,
                         check_of_a_check, constant_folding)
