"""DotMapGemv: X.w, a per-row elementwise program on it, and X^T times the result, in one op.

The optimizer's `row_fusion` step makes it from `gemv(z, alpha, X.T, f(dot(X, w), ...), beta)`,
the shape of a linear model's training step; a backend can then compute all three in one pass over
X, a block of rows at a time, while the block is in cache.
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
    """d = dot(X, w); g = program(d, *rows); r = beta * z + alpha * dot(X.T, g).

    Inputs in order (X, w, z, alpha, beta, *rows): X a matrix (n, k), w and z vectors (k,) (z may
    have length 1), alpha and beta scalars, all of X's float dtype; `rows` are vectors of length n
    (or 1, broadcast), read by the scalar `program` as its inputs 1, 2, ... after d. Outputs
    (d, g, r), g of X's dtype.
    """

    __props__ = ("program",)

    def __init__(self, program: Composite):
        self.program = program

    def __str__(self) -> str:
        return f"DotMapGemv{{{self.program.formula()}}}"

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
        return Apply(self, [*fixed, *rows], [vector(), vector(), fixed[2].type()])

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
        with np.errstate(all="ignore"):
            g = np.array(np.broadcast_to(self.program.impl(d, *rows), (n,)), dtype=dtype)
            r = np.array(np.broadcast_to(beta * z + alpha * np.dot(X.T, g), (k,)), dtype=dtype)
        return [d, g, r]

    def grad(self, inputs, outputs, output_grads):
        raise NotImplementedError(f"{self} is made by the optimizer, after differentiation")

    def pp(self, node, args: Sequence[str]) -> str:
        X, w, z, alpha, beta, *rows = args
        g = self.program.formula([f"({X} \\dot {w})", *rows])
        return f"({beta} * {z} + {alpha} * ({X}.T \\dot {g}))"
