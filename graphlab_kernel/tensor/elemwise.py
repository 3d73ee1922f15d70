"""Elemwise, which lifts a scalar op to arrays with broadcasting, and DimShuffle, which reorders,
adds and drops broadcastable dimensions (a view)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphlab_kernel.gof.graph import Apply
from graphlab_kernel.gof.op import Op
from graphlab_kernel.tensor.scalar_ops import ScalarOp
from graphlab_kernel.tensor.type import DISCRETE_DTYPES, TensorType


class DimShuffle(Op):
    """Permute dimensions, insert broadcastable ones ('x') and drop broadcastable ones.

    `new_order` lists, for each output dimension, an input axis or 'x'. The output is a view.
    """

    __props__ = ("input_broadcastable", "new_order")
    view_map = {0: [0]}

    def __init__(self, input_broadcastable: Sequence[bool], new_order: Sequence[int | str]):
        self.input_broadcastable = tuple(bool(b) for b in input_broadcastable)
        self.new_order = tuple(new_order)
        kept = [d for d in self.new_order if d != "x"]
        ndim = len(self.input_broadcastable)
        for d in kept:
            if not isinstance(d, (int, np.integer)) or not 0 <= d < ndim:
                raise ValueError(f"DimShuffle: {d!r} is not an axis of a {ndim}-d input "
                                 f"(pattern {self.new_order})")
        if len(set(kept)) != len(kept):
            raise ValueError(f"DimShuffle: pattern {self.new_order} repeats an axis")
        for d in range(ndim):
            if d not in kept and not self.input_broadcastable[d]:
                raise ValueError(f"DimShuffle: cannot drop axis {d}, which is not broadcastable "
                                 f"(pattern {self.new_order})")
        self.shuffle = kept
        self.drop = [d for d in range(ndim) if d not in kept]
        self.augment = [i for i, d in enumerate(self.new_order) if d == "x"]

    @property
    def name(self) -> str:
        return str(self)

    def __str__(self) -> str:
        return f"InplaceDimShuffle{{{','.join(map(str, self.new_order))}}}"

    def make_node(self, x) -> Apply:
        from graphlab_kernel.tensor.var import as_tensor_variable
        x = as_tensor_variable(x)
        if x.broadcastable != self.input_broadcastable:
            raise TypeError(f"{self} expects an input with broadcastable pattern "
                            f"{self.input_broadcastable}; got {x} of {x.type}")
        bcast = tuple(True if d == "x" else self.input_broadcastable[d] for d in self.new_order)
        return Apply(self, [x], [TensorType(x.dtype, bcast)()])

    def perform(self, node, inputs):
        (x,) = inputs
        out = x.transpose(self.shuffle + self.drop)
        shape = [out.shape[i] for i in range(len(self.shuffle))]
        for i in self.augment:
            shape.insert(i, 1)
        return [out.reshape(shape)]

    def grad(self, inputs, outputs, output_grads):
        (x,) = inputs
        (gz,) = output_grads
        # Undo the permutation: the gradient's axes, in the input's order, with dropped axes as 'x'.
        position = {d: i for i, d in enumerate(self.new_order) if d != "x"}
        gz = sum_to_broadcastable(gz, self.augment)
        kept_positions = [i for i, d in enumerate(self.new_order) if d != "x"]
        rank_of = {pos: r for r, pos in enumerate(kept_positions)}
        order = ["x" if d in self.drop else rank_of[position[d]] for d in range(x.ndim)]
        gx = dimshuffle(gz, order)
        return [gx]

    def infer_shape(self, node, input_shapes):
        (shape,) = input_shapes
        return [[1 if d == "x" else shape[d] for d in self.new_order]]

    def pp(self, node, args: Sequence[str]) -> str:
        order = [d for d in self.new_order if d != "x"]
        if order == list(range(len(order))):
            return args[0]
        if order == list(reversed(range(len(order)))):
            return f"{args[0]}.T"
        return f"DimShuffle{{{', '.join(map(str, self.new_order))}}}({args[0]})"


def sum_to_broadcastable(gz, axes: Sequence[int]):
    """Sum `gz` over `axes` and drop them (for gradients of dimensions that were broadcast)."""
    if not axes:
        return gz
    from graphlab_kernel.tensor.math import sum as sum_
    return sum_(gz, axis=tuple(axes), keepdims=False)


def dimshuffle(x, pattern: Sequence[int | str]):
    """Apply DimShuffle(pattern) to x (a no-op pattern returns x itself)."""
    from graphlab_kernel.tensor.var import as_tensor_variable
    x = as_tensor_variable(x)
    pattern = tuple(pattern)
    if pattern == tuple(range(x.ndim)):
        return x
    return DimShuffle(x.broadcastable, pattern)(x)


class Elemwise(Op):
    """Apply a scalar op elementwise, broadcasting the inputs against each other.

    As in Theano, an axis broadcasts only where the input's type says it may (T.row, T.col,
    dimshuffle('x', ...), a scalar): an input of type matrix whose value has a row of length 1
    does not stretch to another input's rows, it is an error. NumPy would stretch it, but the
    gradient could not then know to sum over that axis, and would have the wrong shape.

    `inplace_pattern` maps an output index to the input it overwrites.
    """

    __props__ = ("scalar_op", "inplace_pattern")

    def __init__(self, scalar_op: ScalarOp, inplace_pattern: dict[int, int] | None = None):
        self.scalar_op = scalar_op
        self.inplace_pattern = tuple(sorted((inplace_pattern or {}).items()))
        self.destroy_map = {o: [i] for o, i in self.inplace_pattern}

    @property
    def name(self) -> str:
        return str(self)

    def __str__(self) -> str:
        mode = "inplace" if self.inplace_pattern else "no_inplace"
        return f"Elemwise{{{self.scalar_op.name},{mode}}}"

    def make_node(self, *inputs) -> Apply:
        from graphlab_kernel.tensor.var import as_tensor_variables
        nin = self.scalar_op.nin
        if nin != -1 and len(inputs) != nin:
            raise TypeError(f"{self.scalar_op.name} takes {nin} input(s); got {len(inputs)}")
        inputs = as_tensor_variables(list(inputs),
                                     [f"input {i} of {self.scalar_op.name}" for i in range(len(inputs))])
        ndim = max(x.ndim for x in inputs)
        inputs = [x if x.ndim == ndim else dimshuffle(x, ["x"] * (ndim - x.ndim) + list(range(x.ndim)))
                  for x in inputs]
        bcast = tuple(all(x.broadcastable[d] for x in inputs) for d in range(ndim))
        dtype = self.scalar_op.output_dtype(*(x.dtype for x in inputs))
        for out_index, in_index in self.inplace_pattern:
            target = inputs[in_index]
            if target.dtype != dtype or target.broadcastable != bcast:
                raise TypeError(f"{self} cannot write its {dtype} output of pattern {bcast} into "
                                f"input {in_index} ({target.type})")
        return Apply(self, inputs, [TensorType(dtype, bcast)()])

    def perform(self, node, inputs):
        out_type = node.outputs[0].type
        _check_runtime_broadcast(self, node.inputs, inputs)
        try:
            with np.errstate(all="ignore"):
                if self.inplace_pattern:
                    result = self.scalar_op.impl(*inputs)
                    target = inputs[self.inplace_pattern[0][1]]
                    target[...] = result
                    return [target]
                result = self.scalar_op.impl(*inputs)
        except ValueError as exc:
            shapes = [np.shape(x) for x in inputs]
            try:
                np.broadcast_shapes(*shapes)
            except ValueError:
                listed = ", ".join(map(str, shapes))
                raise ValueError(f"{self}: input shapes {listed} do not broadcast ({exc})") \
                    from None
            # a value NumPy refuses (an integer to a negative integer power), not the shapes
            raise ValueError(f"{self}: {exc}") from None
        return [np.asarray(result, dtype=out_type.dtype)]

    def grad(self, inputs, outputs, output_grads):
        (gz,) = output_grads
        grads = self.scalar_op.grad(inputs, outputs[0], gz)
        return [_fit_gradient(g, x) for g, x in zip(grads, inputs)]

    def infer_shape(self, node, input_shapes):
        """Each axis the common length of the inputs not broadcastable along it (1 where all
        are), checked as perform checks it; None when the scalar op may refuse some values."""
        from graphlab_kernel.tensor import lengths as L
        from graphlab_kernel.tensor.shape_checks import Checks, listed
        if may_refuse_values(self.scalar_op, [v.dtype for v in node.inputs],
                             node.outputs[0].dtype, node.inputs):
            return None
        lengths, agree = [], []
        for d in range(node.outputs[0].ndim):
            fixed = [s[d] for s, v in zip(input_shapes, node.inputs) if not v.broadcastable[d]]
            lengths.append(fixed[0] if fixed else 1)
            agree += [L.eq(fixed[0], n) for n in fixed[1:]]
        checks = Checks(self)
        checks.require(agree, "input shapes ", *listed(input_shapes), " do not broadcast")
        return [checks.apply(lengths)]

    def pp(self, node, args: Sequence[str]) -> str:
        return self.scalar_op.pp(args)


def may_refuse_values(scalar_op: ScalarOp, in_dtypes, out_dtype: str, inputs=()) -> bool:
    """Whether computing `scalar_op` on these dtypes may raise for some values (an integer to
    a negative integer power), whatever the shapes; `inputs`, when given, are the variables it
    reads (a constant exponent of no negative value cannot fail)."""
    from graphlab_kernel.tensor.scalar_ops import Composite, Pow
    if isinstance(scalar_op, Composite):
        dtypes = scalar_op.value_dtypes(*in_dtypes)
        return any(op.c_error([dtypes[a] for a in args], dtypes[scalar_op.nin + k]) is not None
                   for k, (op, args) in enumerate(scalar_op.program))
    if scalar_op.c_error(list(in_dtypes), out_dtype) is None:
        return False
    if isinstance(scalar_op, Pow) and inputs:
        exponent = inputs[1]
        while exponent.owner is not None and isinstance(exponent.owner.op, DimShuffle):
            exponent = exponent.owner.inputs[0]
        data = getattr(exponent, "data", None)
        return data is None or bool(np.any(np.asarray(data) < 0))
    return True


def _check_runtime_broadcast(op, variables, values) -> None:
    """Raise ValueError when a value would broadcast along an axis its type does not allow."""
    shapes = [np.shape(v) for v in values]
    for d in range(max((len(s) for s in shapes), default=0)):
        lengths = {s[d] for s in shapes if len(s) > d}
        if len(lengths) < 2:
            continue
        for var, shape in zip(variables, shapes):
            if shape[d] == 1 and not var.type.broadcastable[d]:
                listed = ", ".join(str(s) for s in shapes)
                raise ValueError(f"{op}: input shapes {listed} do not broadcast: axis {d} of "
                                 f"{var} has length 1 but its type {var.type} does not broadcast "
                                 "there (make it a row, a column or dimshuffle it)")


def _fit_gradient(g, x):
    """Bring a gradient to the input's broadcastable pattern and dtype (None if x is discrete)."""
    if g is None or x.dtype in DISCRETE_DTYPES:
        return None
    from graphlab_kernel.tensor.math import cast
    from graphlab_kernel.tensor.var import as_tensor_variable
    g = as_tensor_variable(g)
    axes = [d for d in range(x.ndim) if x.broadcastable[d] and not g.broadcastable[d]]
    if axes:
        from graphlab_kernel.tensor.math import sum as sum_
        g = sum_(g, axis=tuple(axes), keepdims=True)
    if g.dtype != x.dtype:
        g = cast(g, x.dtype)
    return g
