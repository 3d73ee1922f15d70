"""Diagonals: `diagonal` (a view, as numpy.diagonal), `diag` (a vector's diagonal matrix, or a
matrix's diagonal) and `trace`.

`ExtractDiag` reads the diagonal `offset` of the plane of axes (axis1, axis2), as a new last
axis; `IncDiagonal` writes (or adds) a value there in a copy of x. Each is part of the other's
gradient.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphlab_kernel.gof.graph import Apply
from graphlab_kernel.gof.op import Op
from graphlab_kernel.tensor.type import DISCRETE_DTYPES, TensorType
from graphlab_kernel.tensor.var import as_tensor_variable

__all__ = ["diag", "diagonal", "trace"]


class _DiagonalOp(Op):
    """An op on the diagonal `offset` of the plane of axes (axis1, axis2) of its first input."""

    def _check_axes(self, x, what: str):
        x = as_tensor_variable(x, f"{what} of {self}")
        if x.ndim < 2:
            raise TypeError(f"{self}: a diagonal needs at least 2 dimensions; {x} is {x.type}")
        if not (0 <= self.axis1 < x.ndim and 0 <= self.axis2 < x.ndim):
            raise ValueError(f"{self}: axes {self.axis1}, {self.axis2} are out of range for {x} "
                             f"({x.type})")
        return x

    def _other_axes(self, ndim: int) -> list[int]:
        return [d for d in range(ndim) if d not in (self.axis1, self.axis2)]

    def _region(self, shape) -> list:
        """The lengths of the diagonal of an x of `shape`: its other axes, then the diagonal's
        (numpy.diagonal's: min(n1, n2 - offset) or min(n1 + offset, n2), at least 0)."""
        from graphlab_kernel.tensor import lengths as L
        n1, n2 = shape[self.axis1], shape[self.axis2]
        if self.offset >= 0:
            along = L.minimum(n1, L.sub(n2, self.offset))
        else:
            along = L.minimum(L.add(n1, self.offset), n2)
        return [shape[d] for d in self._other_axes(len(shape))] + [L.maximum(along, 0)]

    def _args(self) -> str:
        parts = [f"offset={self.offset}"] if self.offset else []
        if (self.axis1, self.axis2) != (0, 1):
            parts += [f"axis1={self.axis1}", f"axis2={self.axis2}"]
        return "".join(f", {p}" for p in parts)


class ExtractDiag(_DiagonalOp):
    """The diagonal `offset` (above the main one for offset > 0) of the plane (axis1, axis2) of
    x, as a last axis after x's others: numpy.diagonal, a view."""

    __props__ = ("offset", "axis1", "axis2")
    view_map = {0: [0]}

    def __init__(self, offset: int = 0, axis1: int = 0, axis2: int = 1):
        self.offset, self.axis1, self.axis2 = int(offset), int(axis1), int(axis2)
        if self.axis1 == self.axis2:
            raise ValueError(f"diagonal: axis1 and axis2 cannot be the same ({self.axis1})")

    def make_node(self, x) -> Apply:
        x = self._check_axes(x, "input")
        bcast = tuple(x.broadcastable[d] for d in self._other_axes(x.ndim)) + (False,)
        return Apply(self, [x], [TensorType(x.dtype, bcast)()])

    def perform(self, node, inputs):
        return [np.diagonal(inputs[0], self.offset, self.axis1, self.axis2)]

    def grad(self, inputs, outputs, output_grads):
        from graphlab_kernel.tensor.math import zeros_like
        (x,), (gz,) = inputs, output_grads
        if x.dtype in DISCRETE_DTYPES:
            return [None]
        return [IncDiagonal(self.offset, self.axis1, self.axis2)(zeros_like(x), gz)]

    def infer_shape(self, node, input_shapes):
        (shape,) = input_shapes
        return [self._region(shape)]

    def pp(self, node, args: Sequence[str]) -> str:
        return f"diagonal({args[0]}{self._args()})"


class IncDiagonal(_DiagonalOp):
    """A copy of x with y added to its diagonal (as ExtractDiag reads it), or written there when
    `set_instead_of_inc`; y broadcasts to the diagonal's shape as a value written into a region
    does (an axis of length 1 only where y's type says so)."""

    __props__ = ("offset", "axis1", "axis2", "set_instead_of_inc")

    def __init__(self, offset: int = 0, axis1: int = 0, axis2: int = 1,
                 set_instead_of_inc: bool = False):
        self.offset, self.axis1, self.axis2 = int(offset), int(axis1), int(axis2)
        self.set_instead_of_inc = bool(set_instead_of_inc)
        if self.axis1 == self.axis2:
            raise ValueError(f"diagonal: axis1 and axis2 cannot be the same ({self.axis1})")

    def make_node(self, x, y) -> Apply:
        from graphlab_kernel.tensor.subtensor import _check_written_value
        x = self._check_axes(x, "input")
        y = as_tensor_variable(y, f"value written by {self}", partner_dtype=x.dtype)
        _check_written_value(self, x, y, x.ndim - 1, f"the diagonal of {x}")
        return Apply(self, [x, y], [x.type()])

    def perform(self, node, inputs):
        from graphlab_kernel.tensor.subtensor import _check_value_shape
        x, y = inputs
        out = x.copy()
        region = np.diagonal(out, self.offset, self.axis1, self.axis2)
        _check_value_shape(self, y, node.inputs[1].type, region.shape, x)
        plane = np.moveaxis(out, (self.axis1, self.axis2), (-2, -1))  # a writable view
        rows = np.arange(region.shape[-1]) + max(0, -self.offset)
        cols = rows + self.offset
        if self.set_instead_of_inc:
            plane[..., rows, cols] = y
        else:
            plane[..., rows, cols] += y
        return [out]

    def grad(self, inputs, outputs, output_grads):
        from graphlab_kernel.tensor.subtensor import _sum_to_shape_of
        (x, y), (gz,) = inputs, output_grads
        diagonal_of = ExtractDiag(self.offset, self.axis1, self.axis2)
        gx = gz
        if self.set_instead_of_inc:
            gx = IncDiagonal(self.offset, self.axis1, self.axis2, True)(
                gz, np.zeros((), dtype=gz.dtype))
        return [None if x.dtype in DISCRETE_DTYPES else gx,
                None if y.dtype in DISCRETE_DTYPES else _sum_to_shape_of(diagonal_of(gz), y)]

    def infer_shape(self, node, input_shapes):
        """x's shape, once the value fits the diagonal it is written to."""
        from graphlab_kernel.tensor.shape_checks import Checks
        from graphlab_kernel.tensor.subtensor import _require_value_fits
        sx, sy = input_shapes
        checks = Checks(self)
        _require_value_fits(checks, node.inputs[1], sy, self._region(sx), sx)
        return [checks.apply(sx)]

    def pp(self, node, args: Sequence[str]) -> str:
        kind = "set_diagonal" if self.set_instead_of_inc else "inc_diagonal"
        return f"{kind}({args[0]}, {args[1]}{self._args()})"

    def __str__(self) -> str:
        kind = "SetDiagonal" if self.set_instead_of_inc else "IncDiagonal"
        return f"{kind}{{offset={self.offset}, axis1={self.axis1}, axis2={self.axis2}}}"


def _axis(x, axis, what: str) -> int:
    from graphlab_kernel.tensor.extra_ops import axis_of
    return axis_of(x, axis, what)


def _offset(k, what: str) -> int:
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"the offset of {what} must be an int; got {k!r}")
    return int(k)


def diagonal(x, offset: int = 0, axis1: int = 0, axis2: int = 1):
    """The diagonal `offset` of the plane of axes (axis1, axis2) of x, as numpy.diagonal: x's
    other axes, then the diagonal's."""
    x = as_tensor_variable(x, "input of diagonal")
    if x.ndim < 2:
        raise TypeError(f"diagonal needs an input of at least 2 dimensions; {x} is {x.type}")
    a1, a2 = _axis(x, axis1, "diagonal"), _axis(x, axis2, "diagonal")
    return ExtractDiag(_offset(offset, "diagonal"), a1, a2)(x)


def diag(v, k: int = 0):
    """As numpy.diag: for a vector, the square matrix with v on its diagonal k and zeros
    elsewhere; for a matrix, its diagonal k."""
    from graphlab_kernel.tensor.shape import shape_i, zeros
    v = as_tensor_variable(v, "input of diag")
    k = _offset(k, "diag")
    if v.ndim == 2:
        return ExtractDiag(k)(v)
    if v.ndim != 1:
        raise TypeError(f"diag needs a vector or a matrix; {v} is {v.type}")
    n = shape_i(v, 0) + abs(k)
    return IncDiagonal(k, set_instead_of_inc=True)(zeros((n, n), dtype=v.dtype), v)


def trace(x, offset: int = 0, axis1: int = 0, axis2: int = 1):
    """The sum of the diagonal `offset` of x (of each plane (axis1, axis2)), as numpy.trace."""
    from graphlab_kernel.tensor.math import sum as sum_
    x = as_tensor_variable(x, "input of trace")
    if x.ndim < 2:
        raise TypeError(f"trace needs an input of at least 2 dimensions; {x} is {x.type}")
    return sum_(diagonal(x, offset, axis1, axis2), axis=-1)
