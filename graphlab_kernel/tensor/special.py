"""More elementwise functions, as Theano's: arctan2, erfc, gammaln, psi, inv (reciprocal),
isclose and allclose; and largest, smallest and max_and_argmax."""

from __future__ import annotations

import functools

from graphlab_kernel.tensor import scalar_special as S
from graphlab_kernel.tensor.elemwise import Elemwise
from graphlab_kernel.tensor.math import (abs, all, argmax, cast, eq, isinf, isnan, le, max,
                                         maximum, minimum)
from graphlab_kernel.tensor.type import FLOAT_DTYPES
from graphlab_kernel.tensor.var import as_tensor_variable, as_tensor_variables

__all__ = ["allclose", "arctan2", "erfc", "gammaln", "inv", "isclose", "largest",
           "max_and_argmax", "psi", "reciprocal", "smallest"]

arctan2 = Elemwise(S.arctan2)
erfc = Elemwise(S.erfc)
gammaln = Elemwise(S.gammaln)
psi = Elemwise(S.psi)
trigamma = Elemwise(S.trigamma)  # psi's derivative (not in Theano's namespace)
reciprocal = Elemwise(S.reciprocal)
inv = reciprocal


def isclose(a, b, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
    """Whether a and b are equal within a tolerance, elementwise, as numpy.isclose:
    |a - b| <= atol + rtol * |b| for a finite b, or a == b (infinities), or both NaN when
    `equal_nan`. An integer or boolean b is compared as float64, as NumPy does."""
    a, b = as_tensor_variables([a, b], ["a of isclose", "b of isclose"])
    if b.dtype not in FLOAT_DTYPES:
        b = cast(b, "float64")
    finite_b = ~(isnan(b) | isinf(b))
    close = (le(abs(a - b), atol + rtol * abs(b)) & finite_b) | eq(a, b)
    if equal_nan:
        close = close | (isnan(a) & isnan(b))
    return close


def allclose(a, b, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
    """Whether a and b are equal within a tolerance everywhere (a bool scalar), as
    numpy.allclose."""
    return all(isclose(a, b, rtol, atol, equal_nan))


def _fold(fn, values, what: str):
    if not values:
        raise TypeError(f"{what} takes at least one tensor")
    tensors = as_tensor_variables(list(values), [f"input {i} of {what}"
                                                 for i in range(len(values))])
    return functools.reduce(fn, tensors)


def largest(*values):
    """The elementwise maximum of its arguments (broadcast together), as Theano's largest."""
    return _fold(maximum, values, "largest")


def smallest(*values):
    """The elementwise minimum of its arguments (broadcast together), as Theano's smallest."""
    return _fold(minimum, values, "smallest")


def max_and_argmax(a, axis=None, keepdims: bool = False) -> list:
    """[max(a, axis), argmax(a, axis)], as Theano's max_and_argmax (None: over all axes, the
    index counting a's elements in C order)."""
    a = as_tensor_variable(a, "input of max_and_argmax")
    return [max(a, axis, keepdims), argmax(a, axis, keepdims)]
