"""The tensor namespace: types and variable makers, and every tensor operation.

Use it as Theano's was used: `import graphlab_kernel.tensor as T`, then `T.dmatrix('x')`,
`T.exp(x)`, `T.grad(cost, w)`.
"""

# Public re-exports: this module is the `T` namespace.
from graphlab_kernel.configuration import config
from graphlab_kernel.gradient import Lop, Rop, grad, hessian, jacobian  # noqa: F401
from graphlab_kernel.tensor import nnet  # noqa: F401
from graphlab_kernel.tensor import random, shared_randomstreams  # noqa: F401
from graphlab_kernel.tensor.advanced_subtensor import *  # noqa: F401,F403
from graphlab_kernel.tensor.broadcasting import *  # noqa: F401,F403
from graphlab_kernel.tensor.diagonal import *  # noqa: F401,F403
from graphlab_kernel.tensor.elemwise import DimShuffle, Elemwise, dimshuffle  # noqa: F401
from graphlab_kernel.tensor.extra_ops import *  # noqa: F401,F403
from graphlab_kernel.tensor.math import *  # noqa: F401,F403  (the operations)
from graphlab_kernel.tensor.nonzero import *  # noqa: F401,F403
from graphlab_kernel.tensor.shape import *  # noqa: F401,F403
from graphlab_kernel.tensor.sort import *  # noqa: F401,F403
from graphlab_kernel.tensor.special import *  # noqa: F401,F403
from graphlab_kernel.tensor.subtensor import *  # noqa: F401,F403
from graphlab_kernel.tensor.type import CANONICAL, TensorType
from graphlab_kernel.tensor.var import (  # noqa: F401
    TensorConstant, TensorVariable, as_tensor_variable, constant)

globals().update(CANONICAL)  # bscalar, ..., dscalar, dvector, dmatrix, ..., ctensor4


def _plural(ttype: TensorType):
    def make(*names: str):
        """One variable of this type per name."""
        if len(names) == 1 and isinstance(names[0], int):
            return [ttype() for _ in range(names[0])]
        return [ttype(n) for n in names]
    return make


for _name, _type in CANONICAL.items():
    plural = _name[:-2] + "ices" if _name.endswith("matrix") else _name + "s"  # dmatrices
    globals()[plural] = _plural(_type)
del _name, _type, plural


def tensor(dtype: str | None = None, broadcastable=(), name: str | None = None
           ) -> TensorVariable:
    """A free variable of TensorType(dtype, broadcastable); dtype config.floatX by default."""
    return TensorType(dtype or config.floatX, broadcastable)(name)


def _maker(bcast, doc):
    def make(name: str | None = None, dtype: str | None = None) -> TensorVariable:
        return TensorType(dtype or config.floatX, bcast)(name)
    make.__doc__ = doc
    return make


scalar = _maker((), "A free 0-d variable (config.floatX unless dtype is given).")
vector = _maker((False,), "A free 1-d variable (config.floatX unless dtype is given).")
matrix = _maker((False, False), "A free 2-d variable (config.floatX unless dtype is given).")
row = _maker((True, False), "A free 1 x n variable (config.floatX unless dtype is given).")
col = _maker((False, True), "A free n x 1 variable (config.floatX unless dtype is given).")
tensor3 = _maker((False,) * 3, "A free 3-d variable (config.floatX unless dtype is given).")
tensor4 = _maker((False,) * 4, "A free 4-d variable (config.floatX unless dtype is given).")


def _plural_maker(single):
    def make(*names: str, dtype: str | None = None):
        """One free variable per name (or `n` unnamed ones for an int n), of config.floatX
        unless dtype is given."""
        if len(names) == 1 and isinstance(names[0], int):
            return [single(dtype=dtype) for _ in range(names[0])]
        return [single(n, dtype=dtype) for n in names]
    return make


scalars, vectors, matrices = _plural_maker(scalar), _plural_maker(vector), _plural_maker(matrix)
rows, cols = _plural_maker(row), _plural_maker(col)
tensor3s, tensor4s = _plural_maker(tensor3), _plural_maker(tensor4)
