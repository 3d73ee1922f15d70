"""Neural-network functions, reachable as T.nnet.* as in Theano: softmax and log_softmax over the
last axis, the gradient through softmax, the elementwise sigmoid, softplus and relu, and the
binary and categorical cross-entropies."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphlab_kernel.gof.graph import Apply
from graphlab_kernel.gof.op import Op
from graphlab_kernel.tensor.elemwise import Elemwise
from graphlab_kernel.tensor.math import clip, exp, log, maximum, sigmoid, softplus, switch
from graphlab_kernel.tensor.math import sum as sum_
from graphlab_kernel.tensor.scalar_ops import float_of, upcast
from graphlab_kernel.tensor.scalar_special import ultra_fast_sigmoid as _ultra_fast_sigmoid
from graphlab_kernel.tensor.shape import arange, shape_i
from graphlab_kernel.tensor.type import INT_DTYPES, TensorType
from graphlab_kernel.tensor.var import as_tensor_variable

__all__ = ["LogSoftmax", "Softmax", "SoftmaxGrad", "binary_crossentropy",
           "categorical_crossentropy", "hard_sigmoid", "log_softmax", "relu", "sigmoid", "softmax",
           "softmax_grad", "softplus", "ultra_fast_sigmoid"]


class _LastAxisOp(Op):
    """An op that normalizes over the last axis of a float tensor of rank >= 1."""

    def make_node(self, x) -> Apply:
        x = as_tensor_variable(x, f"input of {self}")
        if x.ndim < 1:
            raise TypeError(f"{self} needs an input of at least 1 dimension; got {x} ({x.type})")
        return Apply(self, [x], [TensorType(float_of(x.dtype), x.broadcastable)()])

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

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
        return [softmax_grad(gz, sm)]


class SoftmaxGrad(Op):
    """The gradient through softmax: (dy - sum(dy * sm)) * sm over the last axis, from the
    gradient dy with respect to softmax's output and that output sm.

    An op of its own (as in Theano) so that the stabilize step can recognize the gradient of
    log(softmax(x)), where dy is g / sm, and replace it by g - sum(g) * sm, which stays finite
    when sm underflows to 0.
    """

    def make_node(self, dy, sm) -> Apply:
        dy = as_tensor_variable(dy, f"dy of {self}")
        sm = as_tensor_variable(sm, f"sm of {self}")
        if sm.ndim < 1 or dy.ndim != sm.ndim:
            raise TypeError(f"{self} needs dy and sm of the same rank, at least 1; got {dy} "
                            f"({dy.type}) and {sm} ({sm.type})")
        dtype = float_of(upcast(dy.dtype, sm.dtype))
        return Apply(self, [dy, sm], [TensorType(dtype, sm.broadcastable)()])

    def perform(self, node, inputs):
        dy, sm = inputs
        if dy.shape != sm.shape:
            raise ValueError(f"{self}: dy has shape {dy.shape} but sm has shape {sm.shape}; "
                             "they must be equal")
        dtype = node.outputs[0].dtype
        dy, sm = dy.astype(dtype, copy=False), sm.astype(dtype, copy=False)
        return [(dy - np.sum(dy * sm, axis=-1, keepdims=True)) * sm]

    def grad(self, inputs, outputs, output_grads):
        (dy, sm), (gz,) = inputs, output_grads
        # out = (dy - s) * sm with s = sum(dy * sm): d/d dy is this op again; d/d sm has two terms
        s = sum_(dy * sm, axis=-1, keepdims=True)
        g_sm = gz * (dy - s) - dy * sum_(gz * sm, axis=-1, keepdims=True)
        return [softmax_grad(gz, sm), g_sm]

    def infer_shape(self, node, input_shapes):
        """sm's shape, which dy must have."""
        from graphlab_kernel.tensor import lengths as L
        from graphlab_kernel.tensor.shape_checks import Checks
        sdy, ssm = input_shapes
        checks = Checks(self)
        checks.require([L.eq(a, b) for a, b in zip(sdy, ssm)], "dy has shape ", sdy,
                       " but sm has shape ", ssm, "; they must be equal")
        return [checks.apply(ssm)]

    def pp(self, node, args: Sequence[str]) -> str:
        return f"softmax_grad({args[0]}, {args[1]})"


class LogSoftmax(_LastAxisOp):
    """x - log(sum(exp(x))) over the last axis, computed stably."""

    def perform(self, node, inputs):
        shifted = _shifted(inputs[0], node.outputs[0].dtype)
        with np.errstate(divide="ignore"):
            return [shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))]

    def grad(self, inputs, outputs, output_grads):
        (out,), (gz,) = outputs, output_grads
        return [gz - exp(out) * sum_(gz, axis=-1, keepdims=True)]


_softmax, _log_softmax, _softmax_grad = Softmax(), LogSoftmax(), SoftmaxGrad()


def softmax(x):
    """The softmax of x over its last axis."""
    return _softmax(x)


def log_softmax(x):
    """The logarithm of the softmax of x over its last axis, computed stably."""
    return _log_softmax(x)


def softmax_grad(dy, sm):
    """The gradient through softmax: (dy - sum(dy * sm, last axis)) * sm, for sm = softmax(x)
    and dy the gradient with respect to sm."""
    return _softmax_grad(dy, sm)


def relu(x, alpha=0):
    """The rectifier: x where x > 0, else alpha * x (0 by default; a leaky one for alpha > 0)."""
    x = as_tensor_variable(x, "input of relu")
    if isinstance(alpha, (int, float)) and alpha == 0:
        return maximum(x, 0)
    return switch(x > 0, x, alpha * x)


def hard_sigmoid(x):
    """Theano's hard_sigmoid: clip(0.2 x + 0.5, 0, 1), a piecewise-linear sigmoid."""
    x = as_tensor_variable(x, "input of hard_sigmoid")
    return clip(x * 0.2 + 0.5, 0, 1)


ultra_fast_sigmoid = Elemwise(_ultra_fast_sigmoid)
"""Theano's ultra_fast_sigmoid, a piecewise approximation of sigmoid (within 0.03 of it): 0.5 z +
0.5 with, for u = |x| / 2, z = 1.5 u / (1 + u) below 1.7, a line up to 3, then 0.995 (odd in x).
Its gradient is the derivative of that approximation (Theano used sigmoid's, y (1 - y))."""


def binary_crossentropy(output, target):
    """-(target log(output) + (1 - target) log(1 - output)), elementwise: the loss of predicted
    probabilities `output` against targets in [0, 1]."""
    output = as_tensor_variable(output, "output of binary_crossentropy")
    target = as_tensor_variable(target, "target of binary_crossentropy")
    return -(target * log(output) + (1.0 - target) * log(1.0 - output))


def categorical_crossentropy(coding_dist, true_dist):
    """The cross-entropy of each row of predicted probabilities `coding_dist` against the truth:
    -sum(true_dist * log(coding_dist)) over the last axis when `true_dist` holds distributions
    (one-hot rows, say) of the same rank; -log(coding_dist[i, true_dist[i]]) when it holds the
    right class of each row of a matrix, as integers. The log is taken before the pick, so that
    log(softmax(x)) becomes the stable log_softmax(x)."""
    coding_dist = as_tensor_variable(coding_dist, "coding_dist of categorical_crossentropy")
    true_dist = as_tensor_variable(true_dist, "true_dist of categorical_crossentropy")
    if true_dist.ndim == coding_dist.ndim:
        return -sum_(true_dist * log(coding_dist), axis=coding_dist.ndim - 1)
    if coding_dist.ndim == 2 and true_dist.ndim == 1 and true_dist.dtype in INT_DTYPES:
        rows = arange(shape_i(coding_dist, 0))
        return -log(coding_dist)[rows, true_dist]
    raise TypeError(f"categorical_crossentropy: true_dist ({true_dist.type}) must be "
                    f"distributions of the rank of coding_dist ({coding_dist.type}), or, for a "
                    "matrix coding_dist, a vector of integer classes")
