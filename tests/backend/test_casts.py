"""Casts from every dtype to every dtype compute NumPy's values in C, including the values C
leaves undefined (a negative or too large float converted to an integer), which NumPy converts
as the plain C conversion does on the platform."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel as G
import graphlab_kernel.tensor as T

DTYPES = ["bool", "int8", "uint8", "int16", "int32", "int64", "uint32", "uint64", "float32",
          "float64"]

FLOATS = [0.0, -0.0, 0.5, 2.5, -3.7, -1.0, 300.7, 70000.5, 3e9, 5e9 + 7, 2.0**63, 1.5 * 2.0**63,
          -(2.0**63), 2.0**64, 1e30, np.inf, -np.inf, np.nan]
INTS = [0, 1, 7, -1, -129, 200, 300, 70000, 3_000_000_000, 5_000_000_007, -(2**40)]


def _values(dtype: str) -> np.ndarray:
    if dtype == "bool":
        return np.array([True, False, True])
    if dtype.startswith("float"):
        return np.array(FLOATS, dtype=dtype)
    info = np.iinfo(dtype)
    fits = [v for v in INTS if info.min <= v <= info.max]
    return np.array(fits + [info.min, info.max, info.max - 1], dtype=dtype)


def _numpy_cast(values: np.ndarray, dtype: str) -> np.ndarray:
    """NumPy's conversion of each value on its own. (NumPy's contiguous loop converting float to
    uint32 is vectorized and gives 2**31 for NaN and -inf, where its strided and scalar paths
    give 0: we follow the latter, which is the plain C conversion.)"""
    with np.errstate(all="ignore"):
        return np.array([v.astype(dtype) for v in values], dtype=dtype)


@pytest.mark.parametrize("source", DTYPES)
def test_cast_from_every_dtype_to_every_dtype_in_c_is_numpys(source):
    x = T.vector("x", dtype=source)
    f = G.function([x], [T.cast(x, target) for target in DTYPES], backend="c")
    assert f.backend == "c"
    values = _values(source)
    for layout in (values, np.repeat(values, 2)[::2], values[::-1].copy()[::-1]):
        for target, got in zip(DTYPES, f(layout)):
            assert got.dtype == np.dtype(target)
            np.testing.assert_array_equal(got, _numpy_cast(values, target),
                                          err_msg=f"{source} -> {target}")


def test_negative_float_to_uint64_wraps_as_in_numpy():
    """-3.7 -> 2**64 - 3, and 2**63 + 2**62 keeps its top bit: without the helper, C on an
    AVX-512 machine saturated the first to 2**64 - 1."""
    x = T.dvector("x")
    f = G.function([x], T.cast(x, "uint64"), backend="c")
    got = f(np.array([-3.7, 1.5 * 2.0**63, 3.0]))
    assert got.tolist() == [2**64 - 3, 3 * 2**62, 3]
