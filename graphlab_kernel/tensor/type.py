"""TensorType: the dtype and broadcastable pattern of an n-dimensional array, as a value object."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphlab_kernel.gof.type import Type

DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float16", "float32", "float64", "complex64", "complex128")
SIGNED_INT_DTYPES = ("int8", "int16", "int32", "int64")
INT_DTYPES = SIGNED_INT_DTYPES + ("uint8", "uint16", "uint32", "uint64")
FLOAT_DTYPES = ("float16", "float32", "float64")
COMPLEX_DTYPES = ("complex64", "complex128")
DISCRETE_DTYPES = ("bool",) + INT_DTYPES

_RANK_NAMES = {(): "scalar", (False,): "vector", (False, False): "matrix",
               (True, False): "row", (False, True): "col"}


class TensorType(Type):
    """The type of an array with a given dtype and, per dimension, whether its length must be 1.

    Instances are interned: equal types are the same object, so `x.type is T.dscalar` holds.
    """

    _interned: dict[tuple[str, tuple[bool, ...]], TensorType] = {}

    def __new__(cls, dtype: str | np.dtype, broadcastable: tuple[bool, ...] = ()):
        dtype = str(np.dtype(dtype))
        if dtype not in DTYPES:
            raise TypeError(f"unsupported dtype {dtype!r}; expected one of {', '.join(DTYPES)}")
        key = (dtype, tuple(bool(b) for b in broadcastable))
        existing = cls._interned.get(key)
        if existing is not None:
            return existing
        self = super().__new__(cls)
        self.dtype, self.broadcastable = key
        self.ndim = len(key[1])
        cls._interned[key] = self
        return self

    def __init__(self, dtype: str | np.dtype, broadcastable: tuple[bool, ...] = ()):
        pass  # all the work is in __new__, which returns the interned instance

    def __reduce__(self):
        return (TensorType, (self.dtype, self.broadcastable))

    def __str__(self) -> str:
        b = self.broadcastable
        rank = _RANK_NAMES.get(b) or (str(b) if any(b) else f"{len(b)}D")  # Theano's: 3D, 4D
        return f"TensorType({self.dtype}, {rank})"

    __repr__ = __str__

    @property
    def numpy_dtype(self) -> np.dtype:
        return np.dtype(self.dtype)

    def make_variable(self, name: str | None = None):
        from graphlab_kernel.tensor.var import TensorVariable
        return TensorVariable(self, name=name)

    def filter(self, value: Any, name: str = "input") -> np.ndarray:
        """Convert `value` to an ndarray of this type, casting only where nothing is lost."""
        if isinstance(value, np.ndarray) and value.dtype == self.numpy_dtype:
            array = value
        else:
            array = _lossless_cast(value, self.numpy_dtype, name, self)
        if array.ndim != self.ndim:
            raise TypeError(f"{name} must be {self}, a {self.ndim}-d array; got a {array.ndim}-d "
                            f"value of shape {array.shape}")
        for axis, (length, must_be_one) in enumerate(zip(array.shape, self.broadcastable)):
            if must_be_one and length != 1:
                raise ValueError(f"{name} must have length 1 along axis {axis} ({self}); "
                                 f"got shape {array.shape}")
        return array

    def value_zeros(self, shape: tuple[int, ...]) -> np.ndarray:
        return np.zeros(shape, dtype=self.dtype)

    def is_float(self) -> bool:
        return self.dtype in FLOAT_DTYPES or self.dtype in COMPLEX_DTYPES


def _integers_exact(source: np.ndarray, cast: np.ndarray) -> bool:
    """Whether integers cast to floats kept their values (a float64 holds every integer only up to
    2**53, a float32 up to 2**24): those beyond are converted back and compared."""
    real = cast.real if cast.dtype.kind == "c" else cast
    limit = 2 ** (np.finfo(real.dtype).nmant + 1)
    big = (source > limit) | (source < -limit)
    if not big.any():
        return True
    with np.errstate(all="ignore"):  # 2**63 and beyond do not convert back: a mismatch
        return bool(np.all(real[big].astype(source.dtype) == source[big]))


def _lossless_cast(value: Any, dtype: np.dtype, name: str, ttype: TensorType) -> np.ndarray:
    if isinstance(value, (str, bytes)) or (hasattr(value, "owner") and hasattr(value, "type")):
        raise TypeError(f"{name} must be a numeric value for {ttype}; got {type(value).__name__} "
                        f"{value!r}")
    try:
        source = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"{name} could not be converted to an array for {ttype}: {exc}") from None
    if source.dtype.kind in "OUSV":
        if isinstance(value, int) and source.dtype.kind == "O":  # a Python int beyond 64 bits
            raise TypeError(f"{name} must be {ttype}; {value} does not fit in {dtype}")
        if value is None:
            raise TypeError(f"{name} must be a numeric value for {ttype}; got None")
        if source.dtype.kind == "O":
            huge = [v for v in source.ravel()
                    if isinstance(v, int) and not isinstance(v, bool) and v.bit_length() > 63]
            if huge:  # Python ints NumPy keeps as objects, too large for any integer dtype
                raise TypeError(f"{name} must be {ttype}; {huge[0]} does not fit in {dtype}")
        raise TypeError(f"{name} must be numeric for {ttype}; got an array of {source.dtype}")
    int_to_float = source.dtype.kind in "iu" and dtype.kind in "fc"
    safe = np.can_cast(source.dtype, dtype, "safe")
    if safe and not int_to_float:
        return source.astype(dtype, copy=False)
    if source.dtype.kind == "c" and dtype.kind != "c":
        if np.any(source.imag != 0):
            raise TypeError(f"{name} must be {ttype}; a complex value with a nonzero imaginary "
                            f"part cannot be cast to {dtype}")
        source = source.real
    with np.errstate(all="ignore"):
        cast = source.astype(dtype, copy=False)
        if int_to_float:  # compared by the round trip: NumPy's == would round the integers too
            lossless = _integers_exact(source, cast)
        else:
            lossless = cast.shape == source.shape and bool(np.all(
                (cast == source) | (np.isnan(cast) & np.isnan(source))
                if source.dtype.kind in "fc" and dtype.kind in "fc" else cast == source))
    if lossless:
        return cast
    if safe:  # NumPy calls int64 -> float64 safe, but not every int64 is a float64
        raise TypeError(f"{name} must be {ttype}; it holds an integer beyond "
                        f"2**{np.finfo(dtype).nmant + 1} that {dtype} cannot represent exactly "
                        f"(cast it explicitly first)")
    raise TypeError(f"{name} must be {ttype}; a value of dtype {source.dtype} cannot be cast "
                    f"to {dtype} without loss (cast it explicitly first)")


_PREFIXES = {"b": "int8", "w": "int16", "i": "int32", "l": "int64",
             "f": "float32", "d": "float64", "c": "complex64", "z": "complex128"}
_RANKS = {"scalar": (), "vector": (False,), "matrix": (False, False), "row": (True, False),
          "col": (False, True), "tensor3": (False,) * 3, "tensor4": (False,) * 4}

# The canonical instances, with Theano's letters: bscalar, ..., dmatrix, ..., ztensor4.
CANONICAL = {prefix + rank: TensorType(dtype, bcast)
             for prefix, dtype in _PREFIXES.items() for rank, bcast in _RANKS.items()}
