"""Gemv and Gemm: a scaled matrix product added to a scaled array, in one op (BLAS-shaped).

The optimizer's `specialize` step makes them from `y + a * dot(A, x)` patterns; a backend with a BLAS
runs each as one call. Both are pure: they return a new array and overwrite nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphlab_kernel.gof.graph import Apply
from graphlab_kernel.gof.op import Op
from graphlab_kernel.tensor.type import FLOAT_DTYPES
from graphlab_kernel.tensor.var import as_tensor_variable


class _ScaledProduct(Op):
    """Shared checks: inputs (z, alpha, a, b, beta); result beta * z + alpha * dot(a, b)."""

    ranks: tuple[int, int, int] = (0, 0, 0)  # the ranks of z, a and b
    c_blas: str = ""                          # the BLAS routine family a C backend may call

    def make_node(self, z, alpha, a, b, beta) -> Apply:
        names = ("z", "alpha", "a", "b", "beta")
        z, alpha, a, b, beta = (as_tensor_variable(v, f"{n} of {self}")
                                for v, n in zip((z, alpha, a, b, beta), names))
        expected = (self.ranks[0], 0, self.ranks[1], self.ranks[2], 0)
        for v, n, rank in zip((z, alpha, a, b, beta), names, expected):
            if v.ndim != rank:
                raise TypeError(f"{self}: {n} must have {rank} dimension(s); got {v} ({v.type})")
            if v.dtype != z.dtype or z.dtype not in FLOAT_DTYPES:
                raise TypeError(f"{self}: every input must have z's float dtype {z.dtype}; "
                                f"{n} is {v.type}")
        return Apply(self, [z, alpha, a, b, beta], [z.type()])

    def perform(self, node, inputs):
        z, alpha, a, b, beta = inputs
        if a.shape[-1] != b.shape[0]:
            raise ValueError(f"{self}: shapes {a.shape} and {b.shape} are not aligned")
        product = np.dot(a, b)
        z_type = node.inputs[0].type
        if any(zn != pn and not (zn == 1 and bc)  # z broadcasts only as its type allows
               for zn, pn, bc in zip(z.shape, product.shape, z_type.broadcastable)):
            raise ValueError(f"{self}: z has shape {z.shape} but dot(a, b) has {product.shape}")
        return [np.asarray(beta * z + alpha * product, dtype=node.outputs[0].dtype)]

    def grad(self, inputs, outputs, output_grads):
        raise NotImplementedError(f"{self} is made by the optimizer, after differentiation")

    def infer_shape(self, node, input_shapes):
        """dot(a, b)'s shape; a and b must be aligned, and z of that shape where its type does
        not broadcast."""
        from graphlab_kernel.tensor import lengths as L
        from graphlab_kernel.tensor.shape_checks import Checks
        sz, _, sa, sb, _ = input_shapes
        checks = Checks(self)
        checks.require([L.eq(sa[-1], sb[0])], "shapes ", sa, " and ", sb, " are not aligned")
        product = sa[:-1] + sb[1:]
        z_fits = [L.eq(n, p) for n, p, b in zip(sz, product, node.inputs[0].broadcastable)
                  if not b]
        checks.require(z_fits, "z has shape ", sz, " but dot(a, b) has ", product)
        return [checks.apply(product)]

    def pp(self, node, args: Sequence[str]) -> str:
        z, alpha, a, b, beta = args
        return f"({beta} * {z} + {alpha} * ({a} \\dot {b}))"


class Gemv(_ScaledProduct):
    """beta * y + alpha * dot(A, x): y and x vectors, A a matrix, alpha and beta scalars.

    Inputs in order (y, alpha, A, x, beta); the output has y's type. Shapes: A (m, n), x (n,),
    y (m,) (or length 1, broadcast). BLAS: ?gemv.
    """

    ranks = (1, 2, 1)
    c_blas = "gemv"


class Gemm(_ScaledProduct):
    """beta * Z + alpha * dot(A, B): Z, A and B matrices, alpha and beta scalars.

    Inputs in order (Z, alpha, A, B, beta); the output has Z's type. Shapes: A (m, k), B (k, n),
    Z (m, n) (or broadcastable to it). BLAS: ?gemm.
    """

    ranks = (2, 2, 2)
    c_blas = "gemm"


gemv = Gemv()
gemm = Gemm()
