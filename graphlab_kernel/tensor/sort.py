"""Sorting along an axis: `sort` and `argsort`, as NumPy's with kind="stable" (and Theano's).

Both are stable, on both backends: equal values keep their order (argsort's indices of ties are
increasing), and NaN sorts last, as NumPy sorts it. The gradient of sort sends each output's
gradient back to the place its value came from, through argsort's permutation (`Permute`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphlab_kernel.gof.graph import Apply
from graphlab_kernel.gof.op import Op
from graphlab_kernel.tensor.extra_ops import axis_of
from graphlab_kernel.tensor.type import COMPLEX_DTYPES, DISCRETE_DTYPES, TensorType
from graphlab_kernel.tensor.var import as_tensor_variable

__all__ = ["ArgSort", "Sort", "argsort", "sort"]

KINDS = ("quicksort", "mergesort", "heapsort", "stable")


class _AlongAxis(Op):
    """An op on the lanes of x along `axis`, returning one array of x's shape."""

    __props__ = ("axis",)

    def __init__(self, axis: int):
        self.axis = int(axis)

    def __str__(self) -> str:
        return f"{type(self).__name__}{{axis={self.axis}}}"

    def _checked_input(self, x):
        x = as_tensor_variable(x, f"input of {self}")
        if not 0 <= self.axis < x.ndim:
            raise ValueError(f"{self}: axis {self.axis} is out of range for {x} ({x.type})")
        if x.dtype in COMPLEX_DTYPES:
            raise TypeError(f"{self}: sorting complex values ({x}, {x.type}) is not supported")
        return x


class Sort(_AlongAxis):
    """x sorted along `axis`, NaN last (numpy.sort, stable)."""

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def make_node(self, x) -> Apply:
        x = self._checked_input(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs):
        return [np.sort(inputs[0], axis=self.axis, kind="stable")]

    def grad(self, inputs, outputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        if x.dtype in DISCRETE_DTYPES:
            return [None]
        # out[j] = x[p[j]] with p = argsort(x): gz[j] goes back to x[p[j]]
        return [Permute(self.axis, inverse=True)(gz, ArgSort(self.axis)(x))]

    def pp(self, node, args: Sequence[str]) -> str:
        return f"sort({args[0]}, axis={self.axis})"


class ArgSort(_AlongAxis):
    """The int64 indices that sort x along `axis` (numpy.argsort, stable: ties keep their order,
    NaN last)."""

    def make_node(self, x) -> Apply:
        x = self._checked_input(x)
        return Apply(self, [x], [TensorType("int64", x.broadcastable)()])

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def perform(self, node, inputs):
        return [np.argsort(inputs[0], axis=self.axis, kind="stable").astype("int64", copy=False)]

    def grad(self, inputs, outputs, output_grads):
        return [None]  # integer indices: piecewise constant

    def pp(self, node, args: Sequence[str]) -> str:
        return f"argsort({args[0]}, axis={self.axis})"


class Permute(_AlongAxis):
    """x reordered along `axis` by p, an int64 array of x's shape holding a permutation of
    0 .. n-1 in each lane: out[j] = x[p[j]] (a gather), or, `inverse`, out[p[j]] = x[j] (the
    scatter that undoes it). The gradient of sort; each is the other's gradient."""

    __props__ = ("axis", "inverse")

    def __init__(self, axis: int, inverse: bool = False):
        super().__init__(axis)
        self.inverse = bool(inverse)

    def __str__(self) -> str:
        return f"Permute{{axis={self.axis}{', inverse' if self.inverse else ''}}}"

    def make_node(self, x, p) -> Apply:
        x = self._checked_input(x)
        p = as_tensor_variable(p, f"permutation of {self}")
        if p.dtype != "int64" or p.ndim != x.ndim:
            raise TypeError(f"{self}: the permutation must be an int64 array of x's "
                            f"{x.ndim} dimension(s); got {p} ({p.type})")
        return Apply(self, [x, p], [x.type()])

    def perform(self, node, inputs):
        x, p = inputs
        if x.shape != p.shape:
            raise ValueError(f"{self}: x has shape {x.shape} but the permutation has shape "
                             f"{p.shape}; they must be equal")
        n = x.shape[self.axis]
        lanes = np.moveaxis(p, self.axis, -1).reshape(-1, n)
        if not np.array_equal(np.sort(lanes, axis=-1), np.broadcast_to(np.arange(n), lanes.shape)):
            raise ValueError(f"{self}: some lane of the indices (shape {p.shape}) is not a "
                             f"permutation of 0 .. {n - 1}")
        if not self.inverse:
            return [np.take_along_axis(x, p, axis=self.axis)]
        out = np.empty_like(x)
        np.put_along_axis(out, p, x, axis=self.axis)
        return [out]

    def grad(self, inputs, outputs, output_grads):
        (x, p), (gz,) = inputs, output_grads
        if x.dtype in DISCRETE_DTYPES:
            return [None, None]
        return [Permute(self.axis, not self.inverse)(gz, p), None]

    def pp(self, node, args: Sequence[str]) -> str:
        kind = "unpermute" if self.inverse else "permute"
        return f"{kind}({args[0]}, {args[1]}, axis={self.axis})"


def _along(op_class, a, axis, kind: str, order, what: str):
    from graphlab_kernel.tensor.shape import flatten
    if kind not in KINDS:
        raise ValueError(f"{what}: kind must be one of {', '.join(KINDS)}; got {kind!r}")
    if order is not None:
        raise ValueError(f"{what}: order= sorts structured arrays by field, which tensors do "
                         "not have; leave it None")
    a = as_tensor_variable(a, f"input of {what}")
    if axis is None:
        return op_class(0)(a if a.ndim == 1 else flatten(a))
    if a.ndim == 0:
        raise ValueError(f"{what}: axis {axis!r} is out of range for the scalar {a}; use "
                         "axis=None")
    return op_class(axis_of(a, axis, what))(a)


def sort(a, axis: int | None = -1, kind: str = "quicksort", order=None):
    """a sorted along `axis` (None: the flattened a), as numpy.sort; NaN sorts last. Always a
    stable sort, whatever `kind` names (any kind's result for values is the same)."""
    return _along(Sort, a, axis, kind, order, "sort")


def argsort(a, axis: int | None = -1, kind: str = "quicksort", order=None):
    """The int64 indices that sort a along `axis` (None: the flattened a), as numpy.argsort
    with kind="stable" whatever `kind` names: the indices of equal values are in increasing
    order, and NaN sorts last."""
    return _along(ArgSort, a, axis, kind, order, "argsort")
