"""Composite.impl, the NumPy backend's evaluation of a fused program."""

from __future__ import annotations

import numpy as np

from graphlab_kernel.tensor import scalar_ops as S


def test_each_call_computes_in_the_dtypes_of_its_own_inputs():
    # (i0 * i1) + i2: the same op called with other dtypes gets their dtypes, not the first call's
    program = S.Composite([(S.mul, (0, 1)), (S.add, (3, 2))], nin=3)
    int8 = [np.array(v, dtype="int8") for v in ([1, 2], [3, 4], [100, 120])]
    ints = program.impl(*int8)
    assert ints.dtype == np.int8 and ints.tolist() == [103, -128]  # wraps as NumPy's int8 does
    floats = program.impl(np.array([1.5]), np.array([2.0]), np.array([0.25]))
    assert floats.dtype == np.float64 and floats.tolist() == [3.25]
    again = program.impl(*int8[:2], np.array([1, 1], dtype="int8"))
    assert again.dtype == np.int8 and again.tolist() == [4, 9]
    mixed = program.impl(np.array([1], dtype="int32"), np.array([0.5], dtype="float32"),
                         np.array([2], dtype="int8"))
    assert mixed.dtype == np.dtype(program.output_dtype("int32", "float32", "int8"))
    np.testing.assert_allclose(mixed, [2.5])
