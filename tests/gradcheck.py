"""Gradient checking by a random-direction finite difference, one scalar comparison per input.

For a scalar cost f and an input x, draw a random direction v and compare the directional
derivative <grad f(x), v> with the central difference (f(x + eps v) - f(x - eps v)) / (2 eps).
Values must be float64 for the difference to be accurate.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphlab_kernel import function, grad
from graphlab_kernel import tensor as T


class GradientMismatch(AssertionError):
    """The symbolic gradient disagrees with the finite difference."""


def weighted_cost(out, out_value: np.ndarray, rng: np.random.Generator):
    """sum(out * W) for fixed random weights W of out's shape: a scalar that sees every element.
    For a list of outputs, the sum of that over those of a float dtype."""
    if isinstance(out, (list, tuple)):
        terms = [weighted_cost(o, v, rng) for o, v in zip(out, out_value)
                 if o.dtype.startswith("float")]
        return sum(terms[1:], terms[0])
    weights = rng.standard_normal(np.shape(out_value))
    return T.sum(out * weights)


def check_grad(inputs: Sequence, cost, values: Sequence[np.ndarray], wrt: Sequence[int],
               rng: np.random.Generator, eps: float = 1e-6, rtol: float = 1e-5,
               atol: float = 1e-7, backend: str | None = None) -> None:
    """Check grad(cost, inputs[i]) for every i in `wrt` at `values`; raise GradientMismatch."""
    wrt_vars = [inputs[i] for i in wrt]
    for i in wrt:
        if np.asarray(values[i]).dtype != np.float64:
            raise TypeError(f"check_grad needs float64 values; input {i} is "
                            f"{np.asarray(values[i]).dtype}")
    f_cost = function(list(inputs), cost, backend=backend)
    gradients = grad(cost, wrt_vars, disconnected_inputs="ignore")  # zero, as differences say
    f_grads = function(list(inputs), gradients, backend=backend)
    grads = f_grads(*values)
    for i, g in zip(wrt, grads):
        direction = rng.standard_normal(np.shape(values[i]))
        analytic = float(np.sum(g * direction))
        plus, minus = list(values), list(values)
        plus[i] = values[i] + eps * direction
        minus[i] = values[i] - eps * direction
        numeric = float(f_cost(*plus) - f_cost(*minus)) / (2 * eps)
        if not abs(analytic - numeric) <= atol + rtol * max(abs(analytic), abs(numeric)):
            raise GradientMismatch(
                f"gradient wrt input {i} ({inputs[i]}): directional derivative {analytic!r} "
                f"but finite difference {numeric!r} (difference {analytic - numeric:.3g})")
