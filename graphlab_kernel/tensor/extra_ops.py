"""Theano's `extra_ops`: cumulative sums and products along an axis.

`cumsum(x, axis)` and `cumprod(x, axis)` follow NumPy (and Theano): axis=None runs over the
flattened array, and an integer or boolean input accumulates in int64 (uint64 if unsigned), as
NumPy's accumulators do.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphlab_kernel.gof.graph import Apply
from graphlab_kernel.gof.op import Op
from graphlab_kernel.tensor.type import DISCRETE_DTYPES, TensorType
from graphlab_kernel.tensor.var import as_tensor_variable

__all__ = ["CumOp", "cumprod", "cumsum"]


def axis_of(x, axis, what: str) -> int:
    """`axis` (an int, negative counting from the end) as an axis of x, or a clear error."""
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"the axis of {what} must be an int or None; got {axis!r}")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"{what}: axis {axis} is out of range for {x} ({x.type}), which has "
                         f"{x.ndim} dimension(s)")
    return int(axis) % x.ndim


def reversed_along(x, axis: int):
    """x[..., ::-1, ...] on `axis` (a view)."""
    from graphlab_kernel.tensor.subtensor import Subtensor
    idx = [("slice", None, None, None)] * axis + [("slice", None, None, -1)]
    return Subtensor(idx)(x)


class CumOp(Op):
    """The running sum (mode 'add') or product ('mul') of x along `axis`: out[..., i, ...] is
    the sum (product) of x[..., :i + 1, ...]."""

    __props__ = ("axis", "mode")
    _numpy = {"add": np.cumsum, "mul": np.cumprod}
    c_identity = {"add": "0", "mul": "1"}
    c_combine = {"add": "{acc} + {x}", "mul": "{acc} * {x}"}

    def __init__(self, axis: int, mode: str = "add"):
        if mode not in self._numpy:
            raise ValueError(f"CumOp: mode must be 'add' or 'mul'; got {mode!r}")
        self.axis, self.mode = int(axis), mode

    def __str__(self) -> str:
        return f"Cum{'sum' if self.mode == 'add' else 'prod'}{{axis={self.axis}}}"

    def make_node(self, x) -> Apply:
        x = as_tensor_variable(x, f"input of {self}")
        if not 0 <= self.axis < x.ndim:
            raise ValueError(f"{self}: axis {self.axis} is out of range for {x} ({x.type})")
        dtype = x.dtype
        if dtype in DISCRETE_DTYPES:  # NumPy's accumulator for integers and booleans
            dtype = "uint64" if dtype.startswith("uint") else "int64"
        return Apply(self, [x], [TensorType(dtype, x.broadcastable)()])

    def perform(self, node, inputs):
        (x,) = inputs
        with np.errstate(all="ignore"):
            out = self._numpy[self.mode](x, axis=self.axis, dtype=node.outputs[0].dtype)
        return [out]

    def grad(self, inputs, outputs, output_grads):
        (x,), (out,), (gz,) = inputs, outputs, output_grads
        if x.dtype in DISCRETE_DTYPES:
            return [None]
        if self.mode == "add":  # each x[i] adds to every out[j], j >= i
            return [reversed_along(CumOp(self.axis)(reversed_along(gz, self.axis)), self.axis)]
        return [_cumprod_grad(x, out, gz, self.axis)]

    def pp(self, node, args: Sequence[str]) -> str:
        return f"{'cumsum' if self.mode == 'add' else 'cumprod'}({args[0]}, axis={self.axis})"


def _cumprod_grad(x, out, gz, axis: int):
    """d/dx[i] of sum(gz * cumprod(x)) = sum over j >= i of gz[j] * prod(x[k], k <= j, k != i),
    exact when x has zeros (no 0 / 0). With z the first zero of a lane:
    - before z, it is sum_{j >= i} gz[j] * out[j] / x[i] (out[j] = 0 from z on, x[i] != 0);
    - at z, the same sum over j >= z with x[z] taken as 1 (the products that skip x[z]);
    - after z, every product holds x[z] = 0, so it is 0."""
    from graphlab_kernel.tensor.math import cast, eq, switch
    is_zero = eq(x, 0)
    zeros_so_far = CumOp(axis)(cast(is_zero, "int64"))
    before = eq(zeros_so_far, 0)
    first_zero = is_zero & eq(zeros_so_far, 1)

    def suffix_sum(v):
        return reversed_along(CumOp(axis)(reversed_along(v, axis)), axis)

    safe_x = switch(is_zero, 1, x)
    skipping_first_zero = CumOp(axis, "mul")(switch(first_zero, 1, x))
    return switch(before, suffix_sum(gz * out) / safe_x,
                  switch(first_zero, suffix_sum(gz * skipping_first_zero), 0))


def _cumulative(x, axis, mode: str, what: str):
    from graphlab_kernel.tensor.shape import flatten
    x = as_tensor_variable(x, f"input of {what}")
    if axis is None:
        return CumOp(0, mode)(x if x.ndim == 1 else flatten(x))
    if x.ndim == 0:
        raise ValueError(f"{what}: axis {axis!r} is out of range for the scalar {x}; use "
                         "axis=None")
    return CumOp(axis_of(x, axis, what), mode)(x)


def cumsum(x, axis: int | None = None):
    """The running sum of x along `axis` (None: of the flattened x), as numpy.cumsum."""
    return _cumulative(x, axis, "add", "cumsum")


def cumprod(x, axis: int | None = None):
    """The running product of x along `axis` (None: of the flattened x), as numpy.cumprod."""
    return _cumulative(x, axis, "mul", "cumprod")
