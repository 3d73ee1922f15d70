"""T.nnet's relu and cross-entropies: values against NumPy (the op table checks more), and what
the rewrites make of them, on both backends: a loss of softmax or sigmoid outputs stays finite
where the probability rounds to 0 or 1, and its gradient is the textbook one."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel as G
import graphlab_kernel.tensor as T

BACKENDS = ["c", "numpy"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_categorical_crossentropy_of_softmax_is_stable_and_its_gradient_is_p_minus_t(backend):
    x, t = T.dmatrices("x", "t")
    loss = T.nnet.categorical_crossentropy(T.nnet.softmax(x), t)
    f = G.function([x, t], [loss, T.grad(loss.sum(), x)], backend=backend)
    X = np.array([[1000.0, 0.0, -5.0], [0.0, -800.0, 3.0]])  # softmax rounds to 0 and 1
    targets = np.array([[0.0, 1.0, 0.0], [0.2, 0.0, 0.8]])
    value, gradient = f(X, targets)
    shifted = X - X.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(value, -(targets * log_p).sum(axis=1), rtol=1e-12)
    assert value[0] == 1000.0
    np.testing.assert_allclose(gradient, np.exp(log_p) * targets.sum(axis=1, keepdims=True)
                               - targets, rtol=1e-12, atol=1e-300)
    assert "LogSoftmax" in G.debugprint(f, file="str")


@pytest.mark.parametrize("backend", BACKENDS)
def test_binary_crossentropy_of_sigmoid_is_stable(backend):
    z, t = T.dvectors("z", "t")
    loss = T.nnet.binary_crossentropy(T.nnet.sigmoid(z), t)
    f = G.function([z, t], [loss, T.grad(loss.sum(), z)], backend=backend)
    Z = np.array([-800.0, -3.0, 0.0, 2.5, 800.0])
    targets = np.array([1.0, 0.0, 1.0, 0.3, 0.0])
    value, gradient = f(Z, targets)
    expected = np.logaddexp(0, -Z) * targets + np.logaddexp(0, Z) * (1 - targets)
    np.testing.assert_allclose(value, expected, rtol=1e-12)
    sigmoid = np.exp(-np.logaddexp(0, -Z))
    np.testing.assert_allclose(gradient, sigmoid - targets, rtol=1e-12, atol=1e-300)


def test_crossentropy_ranks_and_relu_alpha():
    p = T.dmatrix("p")
    with pytest.raises(TypeError, match="true_dist .*must have the rank of coding_dist"):
        T.nnet.categorical_crossentropy(p, T.dtensor3("t3"))
    x, alpha = T.dvector("x"), T.dscalar("alpha")
    leaky = G.function([x, alpha], T.nnet.relu(x, alpha))
    X = np.array([-np.inf, -2.0, 0.0, 3.0, np.nan])
    np.testing.assert_array_equal(leaky(X, 0.25), [-np.inf, -0.5, 0.0, 3.0, np.nan])
    plain = G.function([x], T.nnet.relu(x))
    np.testing.assert_array_equal(plain(X), [0.0, 0.0, 0.0, 3.0, np.nan])
