"""Reductions in C: contiguous runs use eight accumulators and pairwise halves (sums) or vector
max/min with a NaN mask; every path against NumPy, around each length where the code changes."""

from __future__ import annotations

import math

import numpy as np
import pytest

import graphlab_kernel.tensor as T
from graphlab_kernel import function

LENGTHS = [1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 1023, 1024, 1025, 2049, 5000]
KINDS = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min}
_compiled: dict = {}


def _function(kind: str, dtype: str, axis):
    """The reduction over `axis` (None, 1 or 0) of a matrix; one module computes all three."""
    key = (kind, dtype)
    if key not in _compiled:
        x = T.matrix("x", dtype=dtype)
        f = function([x], [getattr(x, kind)(axis=a) for a in (None, 1, 0)])
        assert f.backend == "c"
        _compiled[key] = f
    position = (None, 1, 0).index(axis)
    return lambda x: _compiled[key](x)[position]


def _data(rng, shape, dtype: str, kind: str):
    if dtype in ("float64", "float32"):
        x = rng.standard_normal(shape)
        if kind == "prod":  # keep products finite and away from 0
            x = 1 + 0.01 * x
        return x.astype(dtype)
    low, high = (0, 3) if kind == "prod" else (-50, 50)
    return rng.integers(low, high, shape).astype(dtype)


def _check(got, want, dtype: str, kind: str):
    if dtype in ("float64", "float32") and kind in ("sum", "prod"):
        rtol = 1e-12 if dtype == "float64" else 2e-5
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)
    else:
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_runs_of_every_length_match_numpy(kind, dtype):
    rng = np.random.default_rng(len(kind) + len(dtype))
    for n in LENGTHS:
        for axis in (None, 1, 0):
            x = _data(rng, (3, n), dtype, kind)
            _check(_function(kind, dtype, axis)(x), KINDS[kind](x, axis=axis), dtype, kind)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", ["max", "min", "sum"])
def test_a_nan_anywhere_in_the_run_gives_nan(kind, dtype):
    rng = np.random.default_rng(0)
    f = _function(kind, dtype, 1)
    for n in (1, 9, 33, 70, 1500):
        x = _data(rng, (1, n), dtype, kind)
        for k in sorted({0, n // 3, n - 1}):
            y = x.copy()
            y[0, k] = np.nan
            assert np.isnan(f(y)[0]), (n, k)
        y = x.copy()
        y[0, n // 2] = np.inf
        assert f(y)[0] == KINDS[kind](y), n


def test_long_sums_are_accurate():
    # pairwise halves: the error grows with log(n), not n; a plain loop is off by 3.6e-11 here
    x = np.full((1, 2_000_003), 0.1)
    got = _function("sum", "float64", None)(x)
    exact = math.fsum(x.ravel().tolist())
    assert abs(got - exact) <= 1e-14 * abs(exact)


def test_strided_runs_take_the_general_loop():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((40, 300))
    for kind, reference in KINDS.items():
        for view in (x[:, ::3], x[::-2, ::-1], x.T):
            _check(_function(kind, "float64", 1)(view), reference(view, axis=1), "float64", kind)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_rows_accumulated_along_axis_0(kind, dtype):
    """axis=0 combines each contiguous row into the column accumulators (a vectorized helper):
    widths around the vector lengths, many rows, and views whose rows are not contiguous."""
    rng = np.random.default_rng(7 + len(kind) + len(dtype))
    f = _function(kind, dtype, 0)
    for rows, n in [(256, 512), (5, 1), (9, 7), (33, 17), (100, 33), (1, 1025)]:
        x = _data(rng, (rows, n), dtype, kind)
        _check(f(x), KINDS[kind](x, axis=0), dtype, kind)
        for view in (x[::-1], np.asfortranarray(x), x[:, ::-1]):
            _check(f(view), KINDS[kind](view, axis=0), dtype, kind)


@pytest.mark.parametrize("kind", ["max", "min", "sum"])
def test_a_nan_in_a_row_gives_nan_in_its_column(kind):
    rng = np.random.default_rng(3)
    f = _function(kind, "float64", 0)
    x = rng.standard_normal((40, 37))
    for r, col in [(0, 0), (17, 8), (39, 36), (20, 31)]:
        x[r, col] = np.nan
    got = f(x)
    assert np.array_equal(np.isnan(got), np.isnan(x).any(axis=0))
    kept = ~np.isnan(got)
    _check(got[kept], KINDS[kind](x, axis=0)[kept], "float64", kind)



@pytest.mark.parametrize("backend", ["c", "numpy"])
@pytest.mark.parametrize("shape, axis, kept", [((0, 3), 1, (0,)), ((0, 3, 2), (1, 2), (0,)),
                                               ((4, 0, 3), 2, (4, 0)), ((0, 2, 3), -1, (0, 2))])
def test_arg_reductions_over_nonempty_axes_of_an_empty_array(backend, shape, axis, kept):
    # the axes reduced have elements, a kept one is empty: the result is empty, not an error
    x = T.tensor("float64", (False,) * len(shape), "x")
    for kind in ("argmax", "argmin"):
        result = function([x], getattr(T, kind)(x, axis=axis), backend=backend)(np.zeros(shape))
        assert result.shape == kept and result.dtype == np.int64
