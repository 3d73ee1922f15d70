"""row_fusion: dot(X, w) -> elementwise per row -> gemv on X.T becomes one DotMapGemv."""

from __future__ import annotations

import numpy as np

import graphlab_kernel as G
import graphlab_kernel.tensor as T
from graphlab_kernel.tensor.blas import Gemv
from graphlab_kernel.tensor.fused import DotMapGemv
from graphlab_kernel.tensor.math import Dot

NO_ROW_FUSION = G.Mode(optimizer="fast_run", exclude=["row_fusion"])


def _logistic_step(dtype="float64"):
    """The seed's training step, with w and b as inputs: (prediction, xent, new w, new b)."""
    x, y = T.matrix("x", dtype), T.vector("y", dtype)
    w, b = T.vector("w", dtype), T.scalar("b", dtype)
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = T.grad(cost, [w, b])
    return [x, y, w, b], [p_1 > 0.5, xent, w - 0.1 * gw, b - 0.1 * gb]


def _ops(f) -> list:
    return [type(n.op) for n in f.maker.fgraph.toposort()]


def test_logistic_step_becomes_one_pass_over_x():
    inputs, outputs = _logistic_step()
    ops = _ops(G.function(inputs, outputs, backend="numpy"))
    assert ops.count(DotMapGemv) == 1 and Gemv not in ops and Dot not in ops
    assert DotMapGemv not in _ops(G.function(inputs, outputs, mode=NO_ROW_FUSION,
                                             backend="numpy"))


def test_logistic_step_keeps_its_values():
    inputs, outputs = _logistic_step()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((37, 11)) * 4  # large enough that some p round to 0 or 1
    X[3] = 40.0
    X[5] = -40.0
    values = [X, rng.integers(0, 2, 37).astype(float), rng.standard_normal(11), 0.3]
    # against the same pipeline without row fusion (unoptimized, log(1 - p) is -inf where p is 1)
    expected = G.function(inputs, outputs, mode=NO_ROW_FUSION, backend="numpy")(*values)
    got = G.function(inputs, outputs, backend="numpy")(*values)
    for e, g in zip(expected, got):
        np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-12)


def test_different_matrices_are_left_alone():
    x, x2, w, y = T.dmatrix("x"), T.dmatrix("x2"), T.dvector("w"), T.dvector("y")
    g = T.dot(x2.T, T.sigmoid(T.dot(x, w)) - y)
    assert DotMapGemv not in _ops(G.function([x, x2, w, y], w - 0.1 * g, backend="numpy"))


def test_unrelated_vector_is_left_alone():
    x, w, y = T.dmatrix("x"), T.dvector("w"), T.dvector("y")
    assert DotMapGemv not in _ops(G.function([x, w, y], w - 0.1 * T.dot(x.T, T.exp(y)),
                                             backend="numpy"))


def _dot_map_gemv(f):
    (node,) = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, DotMapGemv)]
    return node


def test_predictions_and_loss_join_the_pass():
    inputs, outputs = _logistic_step()
    f = G.function(inputs, outputs, backend="numpy")
    node = _dot_map_gemv(f)
    prediction, xent = f.maker.fgraph.outputs[:2]
    assert prediction.owner is node and xent.owner is node
    assert sorted(o.dtype for o in node.outputs[3:]) == ["bool", "float64"]
    # nothing else reads X.w: every per-row use of it is inside the pass
    assert all(client == "output" or client is node
               for client, _ in f.maker.fgraph.clients[node.outputs[0]])
    assert G.pp(prediction) == r"(sigmoid((-((-(x \dot w)) - b))) > TensorConstant{[0.5]})"


def test_work_reading_the_pass_results_stays_outside():
    x, w, y = T.dmatrix("x"), T.dvector("w"), T.dvector("y")
    p = T.sigmoid(T.dot(x, w))
    g = p - y
    new_w = w - 0.1 * T.dot(x.T, g)
    scaled = p * g.sum()  # reads a sum of g, computed from the DotMapGemv: cannot join it
    f = G.function([x, w, y], [new_w, scaled, T.exp(p)], backend="numpy")
    node = _dot_map_gemv(f)
    _new_w_out, scaled_out, exp_p = f.maker.fgraph.outputs
    assert exp_p.owner is node and scaled_out.owner is not node
    rng = np.random.default_rng(3)
    values = [rng.standard_normal((23, 7)), rng.standard_normal(7), rng.standard_normal(23)]
    unfused = G.function([x, w, y], [new_w, scaled, T.exp(p)], mode=NO_ROW_FUSION,
                         backend="numpy")
    for backend in ("numpy", "c"):
        fn = G.function([x, w, y], [new_w, scaled, T.exp(p)], backend=backend)
        for got, want in zip(fn(*values), unfused(*values)):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
