"""Theano's `extra_ops` and array manipulation beyond reshaping: cumulative sums and products,
`repeat`, `tile`, `roll`, `split`, `horizontal_stack` and `vertical_stack`.

`cumsum(x, axis)` and `cumprod(x, axis)` follow NumPy (and Theano): axis=None runs over the
flattened array, and an integer or boolean input accumulates in int64 (uint64 if unsigned), as
NumPy's accumulators do. The lengths `repeat`, `tile` and `split` produce depend on the values of
their counts: the C backend computes them when those are constants or function inputs (or shape
arithmetic on them), and otherwise leaves the function to NumPy, with a fallback_reason.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from graphlab_kernel.gof.graph import Apply
from graphlab_kernel.gof.op import Op
from graphlab_kernel.gof.graph import Constant
from graphlab_kernel.tensor.type import DISCRETE_DTYPES, INT_DTYPES, TensorType
from graphlab_kernel.tensor.var import as_tensor_variable

__all__ = ["CumOp", "Repeat", "Split", "Tile", "cumprod", "cumsum", "horizontal_stack", "repeat",
           "roll", "split", "tile", "vertical_stack"]


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

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

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


def _refuse_too_big(op, shape: tuple[int, ...]) -> None:
    """A ValueError, as the C backend's, for a result shape beyond what an int64 counts (NumPy's
    own errors there speak of negative dimensions)."""
    limit = 2**63 - 1
    for d, n in enumerate(shape):
        if n > limit:
            raise ValueError(f"{op}: the result would have more than 2**63 - 1 elements along "
                             f"axis {d}")
    if math.prod(shape) > limit:
        raise ValueError(f"{op}: an array of shape {shape} is too big")


# --- repeat -------------------------------------------------------------------------------------


def _count_input(value, what: str, vector_ok: bool):
    """An integer count (or vector of counts) input; uint64, which NumPy refuses to use as a
    count, is refused here too."""
    v = as_tensor_variable(value, what)
    if v.dtype not in INT_DTYPES or v.dtype == "uint64" or v.ndim > (1 if vector_ok else 0):
        kind = "an integer scalar or vector" if vector_ok else "an integer scalar"
        raise TypeError(f"{what} must be {kind} (not uint64); got {v} ({v.type})")
    return v


class Repeat(Op):
    """Each element of x along `axis` repeated: `repeats` times (an integer scalar), or
    repeats[i] times for the i-th (an integer vector of the axis's length, or of length 1), as
    numpy.repeat."""

    __props__ = ("axis",)

    def __init__(self, axis: int):
        self.axis = int(axis)

    def __str__(self) -> str:
        return f"Repeat{{axis={self.axis}}}"

    def make_node(self, x, repeats) -> Apply:
        x = as_tensor_variable(x, f"input of {self}")
        repeats = _count_input(repeats, f"repeats of {self}", vector_ok=True)
        if not 0 <= self.axis < x.ndim:
            raise ValueError(f"{self}: axis {self.axis} is out of range for {x} ({x.type})")
        bcast = tuple(b and d != self.axis for d, b in enumerate(x.broadcastable))
        return Apply(self, [x, repeats], [TensorType(x.dtype, bcast)()])

    def perform(self, node, inputs):
        x, repeats = inputs
        n = x.shape[self.axis]
        if repeats.ndim == 1 and len(repeats) not in (1, n):
            raise ValueError(f"{self}: repeats has length {len(repeats)} but axis {self.axis} of "
                             f"x has length {n} (input shape {x.shape}); give one count per "
                             f"element, or a single one")
        if np.any(repeats < 0):
            raise ValueError(f"{self}: negative count in repeats {repeats.tolist()}")
        counts = [int(c) for c in np.broadcast_to(repeats, (n,))]
        shape = x.shape[:self.axis] + (sum(counts),) + x.shape[self.axis + 1:]
        _refuse_too_big(self, shape)
        return [np.repeat(x, repeats, axis=self.axis)]

    def grad(self, inputs, outputs, output_grads):
        """Each x[i] is copied to a run of the output: its gradient is the sum of gz over that
        run, added up at the run's index (a scatter-add of gz at repeat(arange(n), repeats))."""
        from graphlab_kernel.tensor.advanced_subtensor import advanced_inc_subtensor1
        from graphlab_kernel.tensor.elemwise import dimshuffle
        from graphlab_kernel.tensor.math import zeros_like
        from graphlab_kernel.tensor.shape import arange, shape_i
        (x, repeats), (gz,) = inputs, output_grads
        if x.dtype in DISCRETE_DTYPES:
            return [None, None]
        front = [self.axis] + [d for d in range(x.ndim) if d != self.axis]
        back = [front.index(d) for d in range(x.ndim)]
        runs = Repeat(0)(arange(shape_i(x, self.axis)), repeats)
        summed = advanced_inc_subtensor1(zeros_like(dimshuffle(x, front)), dimshuffle(gz, front),
                                         runs)
        return [dimshuffle(summed, back), None]

    def infer_shape(self, node, input_shapes):
        """x's shape, with n * repeats along the axis (a vector of counts: their sum, or n
        times its one count); checked as perform checks (the counts' values too)."""
        from graphlab_kernel.tensor import math as M
        from graphlab_kernel.tensor import lengths as L
        from graphlab_kernel.tensor.shape_checks import Checks
        (sx, srep), repeats = input_shapes, node.inputs[1]
        n = sx[self.axis]
        checks = Checks(self)
        if repeats.ndim == 0:
            counts = L.length(repeats)
            checks.require([L.ge(counts, 0)], "negative count in repeats ", counts)
            along = L.mul(n, counts)
        else:
            (given,) = srep
            checks.require([L.any_of(L.eq(given, 1), L.eq(given, n))], "repeats has length ",
                           given, f" but axis {self.axis} of x has length ", n,
                           " (input shape ", sx, "); give one count per element, or a single one")
            if not repeats.dtype.startswith("uint"):
                checks.require([M.all(M.ge(repeats, 0))], "negative count in repeats")
            summed = L.length(M.sum(repeats))
            along = L.switch(L.eq(given, 1), L.mul(n, summed), summed)
        return [checks.apply([along if d == self.axis else m for d, m in enumerate(sx)])]

    def pp(self, node, args: Sequence[str]) -> str:
        return f"repeat({args[0]}, {args[1]}, axis={self.axis})"


def repeat(x, repeats, axis: int | None = None):
    """Repeat the elements of x along `axis` (None: of the flattened x), as numpy.repeat:
    `repeats` is an int (or integer scalar) for all, or an integer vector of one count each."""
    from graphlab_kernel.tensor.shape import flatten
    x = as_tensor_variable(x, "input of repeat")
    if axis is None:
        return Repeat(0)(x if x.ndim == 1 else flatten(x), repeats)
    if x.ndim == 0:
        raise ValueError(f"repeat: axis {axis!r} is out of range for the scalar {x}; use "
                         "axis=None")
    return Repeat(axis_of(x, axis, "repeat"))(x, repeats)


# --- tile ---------------------------------------------------------------------------------------


class Tile(Op):
    """x repeated as tiles, `reps[d]` times along each axis d of the result, which has `ndim`
    axes (x's shape padded with ones in front), as numpy.tile; reps is an integer vector of
    length ndim (checked when the function runs)."""

    __props__ = ("ndim",)

    def __init__(self, ndim: int):
        self.ndim = int(ndim)

    def __str__(self) -> str:
        return f"Tile{{ndim={self.ndim}}}"

    def make_node(self, x, reps) -> Apply:
        x = as_tensor_variable(x, f"input of {self}")
        reps = as_tensor_variable(reps, f"reps of {self}")
        if reps.ndim != 1 or reps.dtype not in INT_DTYPES or reps.dtype == "uint64":
            raise TypeError(f"the reps of {self} must be an integer vector (not uint64); got "
                            f"{reps} ({reps.type})")
        if x.ndim > self.ndim:
            raise TypeError(f"{self}: x ({x}, {x.type}) has more than {self.ndim} dimensions")
        padded = (True,) * (self.ndim - x.ndim) + x.broadcastable
        known = [int(r) for r in reps.data] if isinstance(reps, Constant) else [None] * self.ndim
        bcast = tuple(b and r == 1 for b, r in zip(padded, known))
        return Apply(self, [x, reps], [TensorType(x.dtype, bcast)()])

    def perform(self, node, inputs):
        x, reps = inputs
        if len(reps) != self.ndim:
            raise ValueError(f"{self}: reps has {len(reps)} lengths {tuple(reps.tolist())}; "
                             f"expected {self.ndim}, one per axis of the result")
        if np.any(reps < 0):
            raise ValueError(f"{self}: negative count in reps {tuple(reps.tolist())}")
        padded = x.reshape((1,) * (self.ndim - x.ndim) + x.shape)
        _refuse_too_big(self, tuple(n * int(r) for n, r in zip(padded.shape, reps)))
        return [np.tile(padded, reps)]

    def grad(self, inputs, outputs, output_grads):
        """Sum gz over the tiles: gz as (reps[0], n0, reps[1], n1, ...), summed over the reps
        axes (reps[d] is gz's length over x's, and 0 where x's is 0)."""
        from graphlab_kernel.tensor.math import int_div, maximum
        from graphlab_kernel.tensor.math import sum as sum_
        from graphlab_kernel.tensor.shape import reshape, shape_i
        (x, _), (gz,) = inputs, output_grads
        if x.dtype in DISCRETE_DTYPES:
            return [None, None]
        pad = self.ndim - x.ndim
        split_shape = []
        for d in range(self.ndim):
            if d < pad:
                split_shape += [shape_i(gz, d), 1]
            else:
                n = shape_i(x, d - pad)
                split_shape += [int_div(shape_i(gz, d), maximum(n, 1)), n]
        tiles = reshape(gz, split_shape)
        summed = sum_(tiles, axis=tuple(range(0, 2 * self.ndim, 2)))
        return [reshape(summed, [shape_i(x, d) for d in range(x.ndim)]) if pad else summed, None]

    def infer_shape(self, node, input_shapes):
        """x's shape padded with ones in front, times reps (ndim counts, none negative)."""
        from graphlab_kernel.tensor import lengths as L
        from graphlab_kernel.tensor.shape_checks import Checks, vector_entries
        sx, (given,) = input_shapes
        checks = Checks(self)
        reps = vector_entries(checks, node.inputs[1], given, self.ndim, "reps has ", given,
                              f" lengths; expected {self.ndim}, one per axis of the result")
        checks.require([L.ge(r, 0) for r in reps], "negative count in reps ", reps)
        padded = [1] * (self.ndim - len(sx)) + list(sx)
        return [checks.apply([L.mul(n, r) for n, r in zip(padded, reps)])]

    def pp(self, node, args: Sequence[str]) -> str:
        return f"tile({args[0]}, {args[1]})"


def tile(x, reps, ndim: int | None = None):
    """x repeated as tiles, as numpy.tile: `reps` is a list or tuple of ints and integer scalars
    (shorter than x's rank: padded with ones in front), or an integer vector, whose length is
    then `ndim`, the result's rank (checked when the function runs)."""
    from graphlab_kernel.tensor.shape import _shape_vector
    x = as_tensor_variable(x, "input of tile")
    if isinstance(reps, (int, np.integer)):
        reps = [reps]
    if isinstance(reps, (list, tuple)):
        reps = list(reps)
        if ndim is not None and ndim < max(len(reps), x.ndim):
            raise ValueError(f"tile: ndim={ndim} is less than len(reps)={len(reps)} or the "
                             f"rank of {x} ({x.ndim})")
        ndim = ndim if ndim is not None else max(len(reps), x.ndim)
        return Tile(ndim)(x, _shape_vector([1] * (ndim - len(reps)) + reps, "tile's reps"))
    reps = as_tensor_variable(reps, "reps of tile")
    if ndim is None:
        raise ValueError("tile: reps given as a symbolic vector needs ndim=, the number of "
                         "dimensions of the result (and the length of reps)")
    return Tile(ndim)(x, reps)


# --- roll, split, stacks ------------------------------------------------------------------------


def roll(x, shift, axis: int | None = None):
    """x with its elements shifted by `shift` (an int or integer scalar) along `axis`, those
    past the end coming back at the start, as numpy.roll; axis=None rolls the flattened x and
    keeps x's shape."""
    from graphlab_kernel.tensor.math import mod
    from graphlab_kernel.tensor.shape import concatenate, flatten, reshape, shape, shape_i
    x = as_tensor_variable(x, "input of roll")
    shift = _count_input(shift, "the shift of roll", vector_ok=False)
    if axis is None:
        if x.ndim == 1:
            return roll(x, shift, 0)
        return reshape(roll(flatten(x), shift, 0), shape(x), ndim=x.ndim)
    if x.ndim == 0:
        raise ValueError(f"roll: axis {axis!r} is out of range for the scalar {x}; use axis=None")
    axis = axis_of(x, axis, "roll")
    n = shape_i(x, axis)
    cut = n - mod(shift, n)  # mod by a length of 0 gives 0: an empty axis stays empty
    before = (slice(None),) * axis
    return concatenate([x[(*before, slice(cut, None))], x[(*before, slice(None, cut))]], axis)


class Split(Op):
    """x cut along `axis` into `n_splits` consecutive pieces of the lengths in `splits` (an
    integer vector adding up to x's length there), as Theano's split; each piece is a view."""

    __props__ = ("n_splits", "axis")

    def __init__(self, n_splits: int, axis: int = 0):
        self.n_splits, self.axis = int(n_splits), int(axis)
        if self.n_splits < 1:
            raise ValueError(f"split: n_splits must be at least 1; got {n_splits}")
        self.view_map = {i: [0] for i in range(self.n_splits)}

    def __str__(self) -> str:
        return f"Split{{{self.n_splits}, axis={self.axis}}}"

    def make_node(self, x, splits) -> Apply:
        x = as_tensor_variable(x, f"input of {self}")
        splits = as_tensor_variable(splits, f"splits_size of {self}")
        if splits.ndim != 1 or splits.dtype not in INT_DTYPES:
            raise TypeError(f"the splits_size of {self} must be an integer vector; got {splits} "
                            f"({splits.type})")
        if not 0 <= self.axis < x.ndim:
            raise ValueError(f"{self}: axis {self.axis} is out of range for {x} ({x.type})")
        if isinstance(splits, Constant) and len(splits.data) != self.n_splits:
            raise ValueError(f"{self}: splits_size {tuple(splits.data.tolist())} has "
                             f"{len(splits.data)} lengths; expected n_splits={self.n_splits}")
        bcast = tuple(b and d != self.axis for d, b in enumerate(x.broadcastable))
        return Apply(self, [x, splits], [TensorType(x.dtype, bcast)()
                                         for _ in range(self.n_splits)])

    def perform(self, node, inputs):
        x, splits = inputs
        sizes = [int(s) for s in splits]
        if len(sizes) != self.n_splits:
            raise ValueError(f"{self}: splits_size has {len(sizes)} lengths {tuple(sizes)}; "
                             f"expected {self.n_splits}")
        if any(s < 0 for s in sizes) or sum(sizes) != x.shape[self.axis]:
            raise ValueError(f"{self}: the lengths {tuple(sizes)} must be at least 0 and add up "
                             f"to {x.shape[self.axis]}, the length of axis {self.axis} of x "
                             f"(shape {x.shape})")
        bounds = np.cumsum(sizes)[:-1]
        return list(np.split(x, bounds, axis=self.axis))

    def grad(self, inputs, outputs, output_grads):
        from graphlab_kernel.tensor.shape import Join
        x = inputs[0]
        if x.dtype in DISCRETE_DTYPES:
            return [None, None]
        return [Join(self.axis)(*output_grads), None]

    def infer_shape(self, node, input_shapes):
        """x's shape, with each piece's length along the axis; the lengths must be at least 0
        and add up to x's."""
        from graphlab_kernel.tensor import lengths as L
        from graphlab_kernel.tensor.shape_checks import Checks, vector_entries
        sx, (given,) = input_shapes
        checks = Checks(self)
        sizes = vector_entries(checks, node.inputs[1], given, self.n_splits,
                               "splits_size has ", given, f" lengths; expected {self.n_splits}")
        n = sx[self.axis]
        checks.require([*(L.ge(s, 0) for s in sizes), L.eq(L.total(sizes), n)], "the lengths ",
                       sizes, " must be at least 0 and add up to ", n,
                       f", the length of axis {self.axis} of x (shape ", sx, ")")
        return [checks.apply([s if d == self.axis else m for d, m in enumerate(sx)])
                for s in sizes]

    def pp(self, node, args: Sequence[str]) -> str:
        return f"split({args[0]}, {args[1]}, {self.n_splits}, axis={self.axis})"


def split(x, splits_size, n_splits: int, axis: int = 0) -> list:
    """x cut along `axis` into `n_splits` pieces of the lengths `splits_size` (a list of ints
    and integer scalars, or an integer vector), which must add up to x's length there; Theano's
    split. Returns the list of pieces."""
    from graphlab_kernel.tensor.shape import _shape_vector
    x = as_tensor_variable(x, "input of split")
    if isinstance(splits_size, (list, tuple)):
        splits_size = _shape_vector(list(splits_size), "split's splits_size")
    out = Split(n_splits, axis_of(x, axis, "split"))(x, splits_size)
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _stack_matrices(args, axis: int, what: str):
    from graphlab_kernel.tensor.shape import concatenate
    from graphlab_kernel.tensor.var import as_tensor_variables
    if len(args) < 2:
        raise TypeError(f"{what} takes at least two matrices; got {len(args)}")
    tensors = as_tensor_variables(list(args), [f"input {i} of {what}" for i in range(len(args))])
    for i, t in enumerate(tensors):
        if t.ndim != 2:
            raise TypeError(f"{what} stacks matrices; input {i} ({t}) is {t.type}")
    return concatenate(tensors, axis)


def horizontal_stack(*args):
    """Matrices side by side (concatenated along axis 1), as Theano's horizontal_stack."""
    return _stack_matrices(args, 1, "horizontal_stack")


def vertical_stack(*args):
    """Matrices one above the other (concatenated along axis 0), as Theano's vertical_stack."""
    return _stack_matrices(args, 0, "vertical_stack")
