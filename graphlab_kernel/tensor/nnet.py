"""Neural-network functions, reachable as T.nnet.* as in Theano: softmax and log_softmax over the
last axis, and the elementwise sigmoid and softplus."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphlab_kernel.gof.graph import Apply
from graphlab_kernel.gof.op import Op
from graphlab_kernel.tensor.math import exp, sigmoid, softplus
from graphlab_kernel.tensor.math import sum as sum_
from graphlab_kernel.tensor.scalar_ops import float_of
from graphlab_kernel.tensor.type import TensorType
from graphlab_kernel.tensor.var import as_tensor_variable

__all__ = ["LogSoftmax", "Softmax", "log_softmax", "sigmoid", "softmax", "softplus"]


class _LastAxisOp(Op):
    """An op that normalizes over the last axis of a float tensor of rank >= 1."""

    def make_node(self, x) -> Apply:
        x = as_tensor_variable(x, f"input of {self}")
        if x.ndim < 1:
            raise TypeError(f"{self} needs an input of at least 1 dimension; got {x} ({x.type})")
        return Apply(self, [x], [TensorType(float_of(x.dtype), x.broadcastable)()])

    def pp(self, node, args: Sequence[str]) -> str:
        return f"{type(self).__name__.lower()}({args[0]})"


def _shifted(x: np.ndarray, dtype: str) -> np.ndarray:
    """x minus its maximum over the last axis (so exp cannot overflow)."""
    x = x.astype(dtype, copy=False)
    if x.shape[-1] == 0:
        return x
    return x - np.max(x, axis=-1, keepdims=True)


class Softmax(_LastAxisOp):
    """exp(x) / sum(exp(x)) over the last axis."""

    def perform(self, node, inputs):
        e = np.exp(_shifted(inputs[0], node.outputs[0].dtype))
        return [e / np.sum(e, axis=-1, keepdims=True)]

    def grad(self, inputs, outputs, output_grads):
        (sm,), (gz,) = outputs, output_grads
        return [(gz - sum_(gz * sm, axis=-1, keepdims=True)) * sm]


class LogSoftmax(_LastAxisOp):
    """x - log(sum(exp(x))) over the last axis, computed stably."""

    def perform(self, node, inputs):
        shifted = _shifted(inputs[0], node.outputs[0].dtype)
        with np.errstate(divide="ignore"):
            return [shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))]

    def grad(self, inputs, outputs, output_grads):
        (out,), (gz,) = outputs, output_grads
        return [gz - exp(out) * sum_(gz, axis=-1, keepdims=True)]


_softmax, _log_softmax = Softmax(), LogSoftmax()


def softmax(x):
    """The softmax of x over its last axis."""
    return _softmax(x)


def log_softmax(x):
    """The logarithm of the softmax of x over its last axis, computed stably."""
    return _log_softmax(x)
