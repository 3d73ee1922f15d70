"""Rewrites keep integer arithmetic exact: a replacement computes in the result's dtype, never in
a narrower one that wraps around (uint8 pixels times -1.0 are -200.0, not 56.0)."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel as G
import graphlab_kernel.tensor as T

DTYPES = ("int8", "uint8", "int16", "int64")
EXPRESSIONS = {
    "x * -1.0": lambda x, y: x * -1.0,
    "0.0 - x": lambda x, y: 0.0 - x,
    "x ** 2.0": lambda x, y: x ** 2.0,
    "x ** 2": lambda x, y: x ** 2,
    "(x * 2) * 0.5": lambda x, y: (x * 2) * 0.5,
    "(x * 3) * 2.5": lambda x, y: (x * 3) * 2.5,
    "(x + 100) + 0.5": lambda x, y: (x + 100) + 0.5,
    "y + -x": lambda x, y: y + -x,
    "y - -x": lambda x, y: y - -x,
    "-x * -y": lambda x, y: -x * -y,
    "sqr(-x) + y": lambda x, y: T.sqr(-x) + y,
    "x * -1": lambda x, y: x * -1,
}


def _extremes(dtype: str) -> np.ndarray:
    info = np.iinfo(dtype)
    return np.array([info.min, info.min + 1, -1 if info.min else 0, 0, 1, 2, 100, info.max - 1,
                     info.max], dtype=dtype)


@pytest.mark.parametrize("name", EXPRESSIONS)
@pytest.mark.parametrize("dx, dy", [(a, b) for a in DTYPES for b in DTYPES if a <= b])
def test_optimized_integer_graphs_compute_what_the_unoptimized_ones_do(name, dx, dy):
    x, y = T.vector("x", dtype=dx), T.vector("y", dtype=dy)
    expr = EXPRESSIONS[name](x, y)
    xs = _extremes(dx)
    ys = np.resize(_extremes(dy), xs.shape)
    with np.errstate(all="ignore"):
        reference = G.function([x, y], expr, mode="NO_OPT", backend="numpy",
                               on_unused_input="ignore")(xs, ys)
        for backend in ("c", "numpy"):
            f = G.function([x, y], expr, backend=backend, on_unused_input="ignore")
            result = f(xs, ys)
            assert result.dtype == reference.dtype, (backend, name)
            np.testing.assert_array_equal(result, reference, err_msg=f"{backend}: {name}")
