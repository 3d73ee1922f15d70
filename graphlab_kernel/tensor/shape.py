"""Ops on shapes: reading a shape, transposing, reshaping, joining."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphlab_kernel.gof.graph import Apply
from graphlab_kernel.gof.op import Op
from graphlab_kernel.tensor.elemwise import dimshuffle
from graphlab_kernel.tensor.type import TensorType
from graphlab_kernel.tensor.var import as_tensor_variable


class Shape(Op):
    """The shape of a tensor, as an int64 vector."""

    def make_node(self, x) -> Apply:
        x = as_tensor_variable(x, "input of shape")
        return Apply(self, [x], [TensorType("int64", (x.ndim == 1,))()])

    def perform(self, node, inputs):
        return [np.asarray(inputs[0].shape, dtype="int64")]

    def grad(self, inputs, outputs, output_grads):
        return [None]


class Shape_i(Op):
    """The length of one axis of a tensor, as an int64 scalar."""

    __props__ = ("i",)

    def __init__(self, i: int):
        self.i = int(i)

    def __str__(self) -> str:
        return f"Shape_i{{{self.i}}}"

    def make_node(self, x) -> Apply:
        x = as_tensor_variable(x, "input of Shape_i")
        if not 0 <= self.i < x.ndim:
            raise ValueError(f"{x} has {x.ndim} dimension(s); it has no axis {self.i}")
        return Apply(self, [x], [TensorType("int64", ())()])

    def perform(self, node, inputs):
        return [np.asarray(inputs[0].shape[self.i], dtype="int64")]

    def grad(self, inputs, outputs, output_grads):
        return [None]

    def pp(self, node, args: Sequence[str]) -> str:
        return f"{args[0]}.shape[{self.i}]"


_shape = Shape()


def shape(x):
    """The shape of x, as a symbolic int64 vector."""
    return _shape(x)


def shape_i(x, i: int):
    """The length of axis i of x, as a symbolic int64 scalar."""
    return Shape_i(i)(x)


def transpose(x, axes: Sequence[int] | None = None):
    """x with its axes permuted (reversed when `axes` is None)."""
    x = as_tensor_variable(x, "input of transpose")
    if axes is None:
        axes = tuple(reversed(range(x.ndim)))
    axes = [int(a) % x.ndim if x.ndim else a for a in axes]
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"transpose axes {axes} are not a permutation of the {x.ndim} axes of {x}")
    return dimshuffle(x, axes)
