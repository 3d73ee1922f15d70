"""DotMapGemv in C (one blocked pass over X) against its NumPy reference and the unfused graph."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel as G
from graphlab_kernel.tensor.fused import DotMapGemv
from tests.rewrite.test_row_fusion import NO_ROW_FUSION, _logistic_step

_compiled: dict = {}


def _functions(dtype: str):
    """(fused C, fused NumPy, unfused C) versions of the seed's step."""
    if dtype not in _compiled:
        inputs, outputs = _logistic_step(dtype)
        fused = G.function(inputs, outputs)
        assert fused.backend == "c"
        assert any(isinstance(n.op, DotMapGemv) for n in fused.maker.fgraph.toposort())
        _compiled[dtype] = (fused, G.function(inputs, outputs, backend="numpy"),
                            G.function(inputs, outputs, mode=NO_ROW_FUSION))
    return _compiled[dtype]


def _values(rng, n: int, k: int, dtype: str):
    X = rng.standard_normal((n, k)) * 3
    if n > 4:
        X[1], X[4] = 60.0, -60.0  # p rounds to exactly 1 and 0 on these rows
    y = rng.integers(0, 2, n).astype(dtype)
    return [X.astype(dtype), y, rng.standard_normal(k).astype(dtype), np.asarray(0.2, dtype)]


def _views(values):
    """The same values as views with odd, negative and Fortran-order strides."""
    X, y, w, b = values
    big = np.zeros((X.shape[0] * 3, X.shape[1] * 2), X.dtype)
    Xv = big[::-3, ::2][:X.shape[0]]
    Xv[...] = X[::-1]
    yv = np.repeat(y[::-1], 2)[::2]
    return [Xv[::-1], yv[::-1], np.asfortranarray(np.stack([w, w]))[0], b]


def _check(got, want, dtype):
    tol = dict(rtol=1e-9, atol=1e-11) if dtype == "float64" else dict(rtol=2e-4, atol=1e-5)
    for g, e in zip(got, want):
        assert g.dtype == e.dtype and g.shape == e.shape
        if g.dtype == bool:
            # a row whose p sits at 0.5 to rounding may flip; none do in these values
            np.testing.assert_array_equal(g, e)
        else:
            np.testing.assert_allclose(g, e, **tol)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(400, 784), (37, 11), (5, 3), (1, 9), (33, 1), (0, 4), (6, 0)])
def test_c_matches_reference_and_unfused(dtype, shape):
    fused, reference, unfused = _functions(dtype)
    values = _values(np.random.default_rng(sum(shape)), *shape, dtype)
    want = reference(*values)
    _check(fused(*values), want, dtype)
    _check(unfused(*values), want, dtype)
    _check(fused(*_views(values)), want, dtype)


def test_nan_and_inf_propagate_as_in_numpy():
    fused, reference, _ = _functions("float64")
    X, y, w, b = _values(np.random.default_rng(1), 40, 9, "float64")
    X[2, 3], X[7, 1], w[5] = np.nan, np.inf, 0.0
    got, want = fused(X, y, w, b), reference(X, y, w, b)
    for g, e in zip(got[1:], want[1:]):
        np.testing.assert_array_equal(np.isnan(g), np.isnan(e))
        np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-11)


def test_shape_mismatch_raises():
    fused, _, _ = _functions("float64")
    X, y, w, b = _values(np.random.default_rng(2), 10, 4, "float64")
    with pytest.raises(ValueError):
        fused(X, y, np.ones(5), b)
    with pytest.raises(ValueError):
        fused(X, np.ones(7), w, b)
