"""DotMapGemv: X.w, a per-row elementwise program on it, and X^T times the result, in one op.

The optimizer's `row_fusion` step makes it from `gemv(z, alpha, X.T, f(dot(X, w), ...), beta)`,
the shape of a linear model's training step; a backend can then compute all three in one pass over
X, a block of rows at a time, while the block is in cache. Other per-row results of X.w that the
graph needs (a model's predictions, its per-example loss) join the pass as extra outputs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphlab_kernel.gof.graph import Apply
from graphlab_kernel.gof.op import Op
from graphlab_kernel.tensor.scalar_ops import Composite
from graphlab_kernel.tensor.type import FLOAT_DTYPES, TensorType
from graphlab_kernel.tensor.var import as_tensor_variable


class DotMapGemv(Op):
    """d = dot(X, w); g = program(d, *rows); r = beta * z + alpha * dot(X.T, g); and
    e_j = extras[j](d, *rows) for each extra program.

    Inputs in order (X, w, z, alpha, beta, *rows): X a matrix (n, k), w and z vectors (k,) (z may
    have length 1), alpha and beta scalars, all of X's float dtype; `rows` are vectors of length n
    (or 1, broadcast), read by the scalar programs as their inputs 1, 2, ... after d. Outputs
    (d, g, r, *e), g of X's dtype, each e_j a vector of length n of its program's dtype.
    """

    __props__ = ("program", "extras")

    def __init__(self, program: Composite, extras: Sequence[Composite] = ()):
        self.program = program
        self.extras = tuple(extras)
        if any(e.nin != program.nin for e in self.extras):
            raise ValueError("every extra program reads the same inputs as the main one")

    def __str__(self) -> str:
        return "DotMapGemv{" + " | ".join(p.formula() for p in (self.program, *self.extras)) + "}"

    def make_node(self, X, w, z, alpha, beta, *rows) -> Apply:
        names = ("X", "w", "z", "alpha", "beta")
        fixed = [as_tensor_variable(v, f"{n} of {self}")
                 for v, n in zip((X, w, z, alpha, beta), names)]
        rows = [as_tensor_variable(v, f"row input {i} of {self}") for i, v in enumerate(rows)]
        X = fixed[0]
        for v, n, rank in zip(fixed, names, (2, 1, 1, 0, 0)):
            if v.ndim != rank or v.dtype != X.dtype or X.dtype not in FLOAT_DTYPES:
                raise TypeError(f"{self}: {n} must be a {rank}-d tensor of X's float dtype "
                                f"{X.dtype}; got {v.type}")
        if any(v.ndim != 1 for v in rows) or len(rows) + 1 != self.program.nin:
            raise TypeError(f"{self}: expected {self.program.nin - 1} vectors after beta")
        if self.program.output_dtype(X.dtype, *(v.dtype for v in rows)) != X.dtype:
            raise TypeError(f"{self}: the program must compute X's dtype {X.dtype}")
        vector = TensorType(X.dtype, (X.broadcastable[0],))
        in_dtypes = (X.dtype, *(v.dtype for v in rows))
        extras = [TensorType(e.output_dtype(*in_dtypes), (X.broadcastable[0],))()
                  for e in self.extras]
        return Apply(self, [*fixed, *rows], [vector(), vector(), fixed[2].type(), *extras])

    def perform(self, node, inputs):
        X, w, z, alpha, beta, *rows = inputs
        if X.shape[1] != w.shape[0]:
            raise ValueError(f"{self}: X has shape {X.shape} but w has {w.shape}")
        n, k = X.shape
        for i, v in enumerate(rows):
            if v.shape[0] not in (1, n):
                raise ValueError(f"{self}: row input {i} has shape {v.shape}; X has {n} rows")
        if z.shape[0] not in (1, k):
            raise ValueError(f"{self}: z has shape {z.shape} but dot(X.T, g) has {(k,)}")
        dtype = node.outputs[0].dtype
        d = np.asarray(np.dot(X, w), dtype=dtype)
        try:
            with np.errstate(all="ignore"):
                g = np.array(np.broadcast_to(self.program.impl(d, *rows), (n,)), dtype=dtype)
                r = np.array(np.broadcast_to(beta * z + alpha * np.dot(X.T, g), (k,)),
                             dtype=dtype)
                extras = [np.array(np.broadcast_to(e.impl(d, *rows), (n,)), dtype=out.dtype)
                          for e, out in zip(self.extras, node.outputs[3:])]
        except ValueError as exc:  # a value NumPy refuses (an integer to a negative power)
            raise ValueError(f"{self}: {exc}") from None
        return [d, g, r, *extras]

    def grad(self, inputs, outputs, output_grads):
        raise NotImplementedError(f"{self} is made by the optimizer, after differentiation")

    def infer_shape(self, node, input_shapes):
        """d, g and the extras have X's rows, r has X's columns; checked as perform checks."""
        from graphlab_kernel.tensor import lengths as L
        from graphlab_kernel.tensor.shape_checks import Checks
        from graphlab_kernel.tensor.elemwise import may_refuse_values
        sX, sw, sz, _, _, *srows = input_shapes
        dtypes = tuple(v.dtype for v in (node.inputs[0], *node.inputs[5:]))
        for program in (self.program, *self.extras):
            if may_refuse_values(program, dtypes, program.output_dtype(*dtypes)):
                return None
        n, k = sX
        checks = Checks(self)
        checks.require([L.eq(k, sw[0])], "X has shape ", sX, " but w has ", sw)
        for i, s in enumerate(srows):
            checks.require([L.any_of(L.eq(s[0], 1), L.eq(s[0], n))],
                           f"row input {i} has shape ", s, "; X has ", n, " rows")
        checks.require([L.any_of(L.eq(sz[0], 1), L.eq(sz[0], k))], "z has shape ", sz,
                       " but dot(X.T, g) has ", [k])
        rows_out, cols = checks.apply([n]), checks.apply([k])
        return [rows_out, rows_out, cols, *[rows_out for _ in self.extras]]

    def pp(self, node, args: Sequence[str]) -> list[str]:
        """One expression per output: d, g, r and the extras."""
        X, w, z, alpha, beta, *rows = args
        d = f"({X} \\dot {w})"
        g = self.program.formula([d, *rows])
        r = f"({beta} * {z} + {alpha} * ({X}.T \\dot {g}))"
        return [d, g, r, *(e.formula([d, *rows]) for e in self.extras)]
