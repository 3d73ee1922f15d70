"""zero_grad, disconnected_grad, grad_clip and grad_scale: the identity forward, their own
gradient backward; gone from the compiled graph (or a view in C without rewrites)."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel as G
import graphlab_kernel.tensor as T
from graphlab_kernel.gradient import (DisconnectedInputError, GradientOverride,
                                      disconnected_grad, grad_clip, grad_scale, zero_grad)

X = np.array([-3.0, 0.5, 2.0])


def _grad_of(cost_of, mode=None, backend=None):
    x = T.dvector("x")
    cost = cost_of(x)
    f = G.function([x], [cost, T.grad(cost, x)], mode=mode, backend=backend)
    return f, f(X)


@pytest.mark.parametrize("mode", [None, "NO_OPT"])
@pytest.mark.parametrize("backend", ["c", "numpy"])
def test_values_and_gradients(mode, backend):
    # cost = sum(x**3 + t * x) with t = x through an override: dcost/dx = 3x^2 + t + x * dt/dx
    cases = [
        (zero_grad, 3 * X ** 2 + X),  # dt/dx = 0
        (disconnected_grad, 3 * X ** 2 + X),
        (lambda t: grad_clip(t, -1.0, 1.0), 3 * X ** 2 + X + np.clip(X, -1.0, 1.0)),
        (lambda t: grad_scale(t, -0.5), 3 * X ** 2 + X - 0.5 * X),
    ]
    for override, expected in cases:
        f, (cost, g) = _grad_of(lambda x, o=override: (x ** 3 + o(x) * x).sum(), mode, backend)
        assert f.backend == backend and f.fallback_reason is None
        np.testing.assert_allclose(cost, (X ** 3 + X * X).sum())
        np.testing.assert_allclose(g, expected, rtol=1e-12)
        kept = any(isinstance(n.op, GradientOverride) for n in f.maker.fgraph.toposort())
        assert kept == (mode == "NO_OPT")


def test_a_cost_reaching_wrt_only_through_disconnected_grad_is_disconnected():
    x = T.dvector("x")
    with pytest.raises(DisconnectedInputError, match="pass no gradient.*disconnected_grad"):
        T.grad(disconnected_grad(x).sum(), x)
    g = T.grad(zero_grad(x).sum(), x)  # zeros, connected
    np.testing.assert_array_equal(G.function([x], g)(X), [0.0, 0.0, 0.0])


def test_errors_and_printing():
    x = T.dvector("x")
    with pytest.raises(ValueError, match="lower_bound 1.0 is above upper_bound -1.0"):
        grad_clip(x, 1.0, -1.0)
    with pytest.raises(ValueError, match="kind must be one of zero, disconnected, clip, scale"):
        GradientOverride("stop")
    assert G.pp(grad_clip(x, -1, 1) * 2) == "(clip_grad(x) * TensorConstant{2})"
    assert str(grad_scale(x, 0.5).owner.op) == "ScaleGrad{0.5}"
