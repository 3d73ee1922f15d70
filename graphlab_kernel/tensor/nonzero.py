"""The places of an array's nonzero elements: Theano's `nonzero`, `flatnonzero` and
`nonzero_values`.

How many there are depends on the values. The C backend computes every shape before any value,
so it counts them with the shapes, which it can do for a function input or a constant; for a
value computed in the graph (`nonzero(x > 0)`), the function runs on the NumPy backend, and
`f.fallback_reason` says so.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphlab_kernel.gof.graph import Apply
from graphlab_kernel.gof.op import Op
from graphlab_kernel.tensor.type import COMPLEX_DTYPES, TensorType
from graphlab_kernel.tensor.var import as_tensor_variable

__all__ = ["NonZero", "flatnonzero", "nonzero", "nonzero_values"]


class NonZero(Op):
    """The indices of the nonzero elements of x (NaN counts as nonzero), in C order: an int64
    matrix of one row per axis of x and one column per element, or, `flat`, the int64 vector of
    their indices in the flattened x (numpy.flatnonzero)."""

    __props__ = ("flat",)

    def __init__(self, flat: bool = False):
        self.flat = bool(flat)

    def __str__(self) -> str:
        return "FlatNonZero" if self.flat else "NonZero"

    def make_node(self, x) -> Apply:
        x = as_tensor_variable(x, f"input of {self}")
        if x.ndim == 0:
            raise TypeError(f"{self} needs an array of at least 1 dimension; {x} is a scalar "
                             f"({x.type})")
        if x.dtype in COMPLEX_DTYPES:
            raise TypeError(f"{self}: complex values ({x}, {x.type}) are not supported")
        bcast = (False,) if self.flat else (x.ndim == 1, False)
        return Apply(self, [x], [TensorType("int64", bcast)()])

    def perform(self, node, inputs):
        (x,) = inputs
        if self.flat:
            return [np.flatnonzero(x).astype("int64", copy=False)]
        return [np.array(np.nonzero(x), dtype="int64").reshape(x.ndim, -1)]

    def grad(self, inputs, outputs, output_grads):
        return [None]  # integer indices

    def pp(self, node, args: Sequence[str]) -> str:
        return f"{'flatnonzero' if self.flat else 'nonzero'}({args[0]})"


def nonzero(a, return_matrix: bool = False):
    """The indices of the nonzero elements of a, as Theano's nonzero: a tuple of one int64
    vector per axis (numpy.nonzero), or the matrix of them as rows (`return_matrix`)."""
    a = as_tensor_variable(a, "input of nonzero")
    matrix = NonZero()(a)
    if return_matrix:
        return matrix
    return tuple(matrix[d] for d in range(a.ndim))


def flatnonzero(a):
    """The indices of the nonzero elements of the flattened a (an int64 vector), as
    numpy.flatnonzero."""
    return NonZero(flat=True)(a)


def nonzero_values(a):
    """The nonzero elements of a, in C order (a vector), as Theano's nonzero_values."""
    from graphlab_kernel.tensor.shape import flatten
    a = as_tensor_variable(a, "input of nonzero_values")
    indices = flatnonzero(a)
    return (a if a.ndim == 1 else flatten(a))[indices]
