"""Random draws in C against numpy.random's Generator (PCG64), side by side: ratios ours / NumPy.

Run with `python -m bench random_streams`. No goals: a counter-based generator (Philox4x32-10)
does more work per value than PCG64, and gains threads and reproducibility across them.
"""

from __future__ import annotations

import numpy as np

from bench.c_backend import _row

N = 1_000_000


def main() -> None:
    import graphlab_kernel.tensor as T
    from graphlab_kernel import function
    from graphlab_kernel.tensor.random import RandomStreams
    srng = RandomStreams(seed=1)
    rng = np.random.default_rng(1)
    x = T.dmatrix("x")
    xv = np.ones((1000, 1000))
    dropout = function([x], x * srng.binomial(x.shape, p=0.8, dtype="float64"))
    draws = {"uniform": function([], srng.uniform((N,))),
             "normal": function([], srng.normal((N,))),
             "integers": function([], srng.random_integers((N,), 0, 9))}
    assert all(f.backend == "c" for f in (dropout, *draws.values()))
    _row(f"uniform, {N:,} values", draws["uniform"], lambda: rng.random(N), None, 20)
    _row(f"normal, {N:,} values", draws["normal"], lambda: rng.standard_normal(N), None, 20)
    _row(f"random_integers 0..9, {N:,} values", draws["integers"],
         lambda: rng.integers(0, 10, N), None, 20)
    _row("dropout x * binomial(x.shape, p=0.8), 1000 x 1000", lambda: dropout(xv),
         lambda: xv * (rng.random(xv.shape) < 0.8), None, 20)


if __name__ == "__main__":
    main()
