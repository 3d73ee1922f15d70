"""Changing what a type says about length-1 axes: Theano's `addbroadcast`, `unbroadcast`,
`patternbroadcast` (the op `Rebroadcast`) and `squeeze`.

Marking an axis broadcastable is a promise that its length is 1; `Rebroadcast` checks it when the
function runs, on both backends, and raises a ValueError naming the axis and the shape.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphlab_kernel.gof.graph import Apply
from graphlab_kernel.gof.op import Op
from graphlab_kernel.tensor.elemwise import dimshuffle
from graphlab_kernel.tensor.extra_ops import axis_of
from graphlab_kernel.tensor.type import TensorType
from graphlab_kernel.tensor.var import as_tensor_variable

__all__ = ["Rebroadcast", "addbroadcast", "patternbroadcast", "squeeze", "unbroadcast"]


class Rebroadcast(Op):
    """x itself (a view) with the broadcastable flag of some axes changed: `axes` is a sorted
    tuple of (axis, flag) pairs. An axis made broadcastable must have length 1 (checked)."""

    __props__ = ("axes",)
    view_map = {0: [0]}

    def __init__(self, *axes: tuple[int, bool]):
        self.axes = tuple(sorted((int(a), bool(b)) for a, b in dict(axes).items()))

    def __str__(self) -> str:
        return f"Rebroadcast{{{', '.join(f'{a}: {b}' for a, b in self.axes)}}}"

    def make_node(self, x) -> Apply:
        x = as_tensor_variable(x, f"input of {self}")
        bcast = list(x.broadcastable)
        for axis, flag in self.axes:
            if not 0 <= axis < x.ndim:
                raise ValueError(f"{self}: {x} ({x.type}) has no axis {axis}")
            bcast[axis] = flag
        return Apply(self, [x], [TensorType(x.dtype, tuple(bcast))()])

    def perform(self, node, inputs):
        (x,) = inputs
        for axis, flag in self.axes:
            if flag and x.shape[axis] != 1:
                raise ValueError(f"{self}: axis {axis} of {node.inputs[0]} must have length 1 to "
                                 f"be broadcastable; got shape {x.shape}")
        return [x]

    def grad(self, inputs, outputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [Rebroadcast(*[(a, x.broadcastable[a]) for a, _ in self.axes])(gz)]

    def infer_shape(self, node, input_shapes):
        """x's shape; an axis made broadcastable must have length 1."""
        from graphlab_kernel.tensor import lengths as L
        from graphlab_kernel.tensor.shape_checks import Checks
        shape = list(input_shapes[0])
        checks = Checks(self)
        for axis, flag in self.axes:
            if flag:
                checks.require([L.eq(shape[axis], 1)], f"axis {axis} of {node.inputs[0]} must "
                               "have length 1 to be broadcastable; got shape ", shape)
        made = {axis for axis, flag in self.axes if flag}
        return [checks.apply([1 if d in made else n for d, n in enumerate(shape)])]

    def pp(self, node, args: Sequence[str]) -> str:
        flags = {b for _, b in self.axes}
        axes = [a for a, _ in self.axes]
        if flags == {True}:
            return f"addbroadcast({args[0]}, {', '.join(map(str, axes))})"
        if flags == {False}:
            return f"unbroadcast({args[0]}, {', '.join(map(str, axes))})"
        return f"rebroadcast({args[0]}, {dict(self.axes)})"


def _rebroadcast(x, pairs: list[tuple[int, bool]]):
    """x with the given (axis, flag) pairs applied; x itself when none changes its type."""
    changed = [(a, b) for a, b in pairs if x.broadcastable[a] != b]
    return Rebroadcast(*changed)(x) if changed else x


def addbroadcast(x, *axes: int):
    """x with `axes` marked broadcastable (each must have length 1 when the function runs)."""
    x = as_tensor_variable(x, "input of addbroadcast")
    return _rebroadcast(x, [(axis_of(x, a, "addbroadcast"), True) for a in axes])


def unbroadcast(x, *axes: int):
    """x with `axes` no longer marked broadcastable."""
    x = as_tensor_variable(x, "input of unbroadcast")
    return _rebroadcast(x, [(axis_of(x, a, "unbroadcast"), False) for a in axes])


def patternbroadcast(x, broadcastable: Sequence[bool]):
    """x with the broadcastable pattern `broadcastable` (an axis made broadcastable must have
    length 1 when the function runs)."""
    x = as_tensor_variable(x, "input of patternbroadcast")
    pattern = tuple(broadcastable)
    if len(pattern) != x.ndim or not all(isinstance(b, (bool, np.bool_)) for b in pattern):
        raise ValueError(f"patternbroadcast: the pattern must be {x.ndim} booleans, one per "
                         f"axis of {x} ({x.type}); got {pattern!r}")
    return _rebroadcast(x, list(enumerate(pattern)))


def squeeze(x, axis: int | Sequence[int] | None = None):
    """x without its broadcastable axes (axis=None), as Theano's squeeze; or without `axis`,
    which must then have length 1 (checked when the function runs), as numpy.squeeze."""
    x = as_tensor_variable(x, "input of squeeze")
    if axis is not None:
        axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
        x = addbroadcast(x, *axes)
        drop = {axis_of(x, a, "squeeze") for a in axes}
    else:
        drop = {d for d in range(x.ndim) if x.broadcastable[d]}
    return dimshuffle(x, [d for d in range(x.ndim) if d not in drop])
