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
def test_categorical_crossentropy_against_integer_classes(backend):
    """The negative log-likelihood of Theano's tutorials: -log(p[i, y[i]]), stable for softmax."""
    x, y = T.dmatrix("x"), T.lvector("y")
    loss = T.nnet.categorical_crossentropy(T.nnet.softmax(x), y)
    f = G.function([x, y], [loss, T.grad(loss.mean(), x)], backend=backend)
    assert f.backend == backend
    X = np.array([[1000.0, 0.0, -5.0], [0.0, -800.0, 3.0], [0.5, 0.25, 0.0]])
    Y = np.array([1, 0, -1])  # classes index as NumPy does: -1 is the last
    value, gradient = f(X, Y)
    shifted = X - X.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(value, -log_p[np.arange(3), Y], rtol=1e-12)
    one_hot = np.eye(3)[Y]
    np.testing.assert_allclose(gradient, (np.exp(log_p) - one_hot) / 3, rtol=1e-12,
                               atol=1e-300)
    with pytest.raises(IndexError, match="index 3 is out of range for axis 1 of length 3"):
        f(X, np.array([0, 3, 1]))


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
    with pytest.raises(TypeError, match="true_dist .*must be distributions of the rank of "
                                        "coding_dist .*or, for a matrix coding_dist, a vector "
                                        "of integer classes"):
        T.nnet.categorical_crossentropy(p, T.dtensor3("t3"))
    with pytest.raises(TypeError, match="a vector of integer classes"):
        T.nnet.categorical_crossentropy(p, T.dvector("t"))
    x, alpha = T.dvector("x"), T.dscalar("alpha")
    leaky = G.function([x, alpha], T.nnet.relu(x, alpha))
    X = np.array([-np.inf, -2.0, 0.0, 3.0, np.nan])
    np.testing.assert_array_equal(leaky(X, 0.25), [-np.inf, -0.5, 0.0, 3.0, np.nan])
    plain = G.function([x], T.nnet.relu(x))
    np.testing.assert_array_equal(plain(X), [0.0, 0.0, 0.0, 3.0, np.nan])
