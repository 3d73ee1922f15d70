"""`ifelse`: a lazy choice between two graphs, as Theano's `theano.ifelse.ifelse`.

`ifelse(c, a, b)` is `a` when the scalar `c` is nonzero and `b` otherwise, and unlike
`T.switch(c, a, b)` it computes only the branch it returns: the nodes that only the other branch
needs do not run (nor raise). `switch` is elementwise, takes a tensor of conditions and always
computes both sides.

The laziness is a property of the op that backends read: `IfElse.branches` says which inputs
are needed only when a branch is taken, and `IfElse.choose` which branch that is, given the
condition (backend/lazy.py). Both backends run each branch's nodes only when its branch is
taken; in C, the nodes computing a condition run with the shape code, and each node under a
branch is inside an `if` on it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphlab_kernel.gof.graph import Apply, Variable
from graphlab_kernel.gof.op import Op
from graphlab_kernel.tensor.type import TensorType
from graphlab_kernel.tensor.var import as_tensor_variable, constant

__all__ = ["IfElse", "ifelse"]


class IfElse(Op):
    """IfElse(n): inputs (condition, then_1 .. then_n, else_1 .. else_n); output i is then_i if
    the condition is nonzero, else else_i. An output is a view of the input it returns."""

    __props__ = ("n_outs",)

    def __init__(self, n_outs: int):
        self.n_outs = n_outs
        self.view_map = {i: [1 + i, 1 + n_outs + i] for i in range(n_outs)}

    def make_node(self, condition, *branches) -> Apply:
        n = self.n_outs
        if len(branches) != 2 * n:
            raise TypeError(f"{self} takes a condition and {2 * n} branch values; got "
                            f"{len(branches)}")
        condition = as_tensor_variable(condition, "the condition of ifelse")
        if condition.ndim != 0:
            raise TypeError(f"the condition of ifelse must be a scalar; got {condition} "
                            f"({condition.type}); use T.switch for an elementwise choice")
        outputs = []
        for a, b in zip(branches[:n], branches[n:]):
            if a.dtype != b.dtype or a.ndim != b.ndim:
                raise TypeError(f"ifelse: the branches must have the same dtype and number of "
                                f"dimensions; {a} is {a.type} but {b} is {b.type}")
            # the shapes may differ from call to call: an axis is broadcastable in both, or in none
            bcast = tuple(x and y for x, y in zip(a.broadcastable, b.broadcastable))
            outputs.append(TensorType(a.dtype, bcast)())
        return Apply(self, [condition, *branches], outputs)

    def branches(self, node: Apply) -> dict[int, bool]:
        """The inputs needed only when a branch is taken: input index -> the branch (True for
        the `then` values). The condition (input 0) is always needed."""
        n = self.n_outs
        return {**{1 + i: True for i in range(n)}, **{1 + n + i: False for i in range(n)}}

    def choose(self, node: Apply, condition) -> bool:
        """The branch taken for this value of the condition."""
        return bool(condition)

    def perform(self, node, inputs):
        condition, values = inputs[0], inputs[1:]
        start = 0 if self.choose(node, condition) else self.n_outs
        return list(values[start:start + self.n_outs])

    def grad(self, inputs, outputs, output_grads):
        """Each branch gets the output's gradient when it is the one taken, zeros otherwise
        (shaped as the branch's value, which the zeros need); the condition gets none."""
        from graphlab_kernel.tensor.math import zeros_like
        condition, n = inputs[0], self.n_outs
        then, other = inputs[1:1 + n], inputs[1 + n:]
        grads = [g if g is not None else zeros_like(o) for g, o in zip(output_grads, outputs)]
        when_then = ifelse(condition, grads, [zeros_like(t) for t in then])
        when_else = ifelse(condition, [zeros_like(e) for e in other], grads)
        return [None, *_cast_all(when_then, then), *_cast_all(when_else, other)]

    def pp(self, node, args: Sequence[str]) -> list[str]:
        n = self.n_outs
        return [f"ifelse({args[0]}, {args[1 + i]}, {args[1 + n + i]})" for i in range(n)]

    def __str__(self) -> str:
        return f"IfElse{{n_outs={self.n_outs}}}" if self.n_outs > 1 else "IfElse"


def _cast_all(values: list, like: Sequence[Variable]) -> list:
    from graphlab_kernel.tensor.math import cast
    return [v if v.dtype == w.dtype else cast(v, w.dtype) for v, w in zip(values, like)]


def ifelse(condition, then_branch, else_branch, name: str | None = None):
    """`then_branch` if the scalar `condition` is nonzero, else `else_branch`, computing only the
    one returned. The branches are variables (or numbers), or two lists of the same length,
    pairwise of the same dtype and number of dimensions; a list gives a list of outputs."""
    several = isinstance(then_branch, (list, tuple))
    if several != isinstance(else_branch, (list, tuple)):
        raise TypeError("ifelse: the branches must both be variables or both be lists; got "
                        f"{type(then_branch).__name__} and {type(else_branch).__name__}")
    thens = list(then_branch) if several else [then_branch]
    elses = list(else_branch) if several else [else_branch]
    if len(thens) != len(elses):
        raise ValueError(f"ifelse: the then branch has {len(thens)} values but the else branch "
                         f"{len(elses)}")
    if not thens:
        raise ValueError("ifelse needs at least one value per branch")
    pairs = []
    for i, (a, b) in enumerate(zip(thens, elses)):
        a = _branch_value(a, b, f"then value {i} of ifelse")
        b = _branch_value(b, a, f"else value {i} of ifelse")
        pairs.append((a, b))
    outputs = IfElse(len(pairs))(condition, *(a for a, _ in pairs), *(b for _, b in pairs))
    outputs = outputs if isinstance(outputs, list) else [outputs]
    if name is not None:
        for i, o in enumerate(outputs):
            o.name = name if len(outputs) == 1 else f"{name}[{i}]"
    return outputs if several else outputs[0]



def _branch_value(value, other, what: str):
    """A branch as a variable: a number or array given beside a variable takes that variable's
    dtype when it converts exactly (`ifelse(c, x, 0)` for a float32 x)."""
    if isinstance(value, Variable) or not isinstance(other, Variable):
        return as_tensor_variable(value, what)
    array = np.asarray(value)
    if array.dtype.kind in "biuf" and other.dtype != "bool":
        with np.errstate(all="ignore"):
            converted = array.astype(other.dtype)
        if np.array_equal(converted, array, equal_nan=array.dtype.kind == "f"
                          and converted.dtype.kind == "f"):
            return constant(converted)
    return as_tensor_variable(value, what)
