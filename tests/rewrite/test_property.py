"""Random expression graphs: the optimized function gives the unoptimized one's outputs."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import graphlab_kernel as G
import graphlab_kernel.tensor as T

UNARY = [T.neg, T.exp, T.sigmoid, T.softplus, T.tanh, T.sqr, lambda v: T.log(1 + T.sqr(v)),
         lambda v: v ** 2, lambda v: v * 1, lambda v: v + 0, lambda v: -(-v),
         lambda v: 1 / (1 + T.exp(-v)), lambda v: T.log(T.sigmoid(v)),
         lambda v: T.log(1 - T.sigmoid(v)), lambda v: T.exp(v * 0.1) - 1]
BINARY = [T.add, T.sub, T.mul, lambda a, b: a - a * b, lambda a, b: T.fill(a, b) * a,
          lambda a, b: (a + 2.0) + 3.0, lambda a, b: (a * 2.0) * 0.5, T.maximum]

programs = st.lists(
    st.tuples(st.booleans(), st.integers(0, 100), st.integers(0, 100), st.integers(0, 100)),
    min_size=1, max_size=12)


def _build(program, inputs):
    values = list(inputs)
    for binary, op_index, i, j in program:
        a, b = values[i % len(values)], values[j % len(values)]
        if binary:
            values.append(BINARY[op_index % len(BINARY)](a, b))
        else:
            values.append(T.clip(UNARY[op_index % len(UNARY)](a), -30.0, 30.0))
    return values[len(inputs):]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=programs, seed=st.integers(0, 2**16))
def test_optimized_graph_computes_what_the_graph_says(program, seed):
    x, y = T.dvectors("x", "y")
    outs = _build(program, [x, y])
    outputs = [outs[-1], outs[len(outs) // 2]]
    rng = np.random.default_rng(seed)
    xv, yv = rng.uniform(-3, 3, size=4), rng.uniform(-3, 3, size=4)
    expected = G.function([x, y], outputs, mode="NO_OPT", on_unused_input="ignore")(xv, yv)
    # The stabilize rewrites exist to be more accurate than the graph as written: log(1 -
    # sigmoid(24)) written out loses 7 digits to cancellation, its rewrite -softplus(24) none. So
    # where the result is not that of the graph as written, it must be that of the graph with
    # only the rewrites up to stabilize ('fast_compile'), and that must be what moved it.
    stabilized = G.function([x, y], outputs, mode="fast_compile", on_unused_input="ignore")
    f = G.function([x, y], outputs, on_unused_input="ignore")
    x_before, y_before = xv.copy(), yv.copy()
    got = f(xv, yv)
    for e, s, g in zip(expected, stabilized(xv, yv), got):
        assert g.dtype == e.dtype and g.shape == e.shape
        as_written = np.isclose(g, e, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(g[~as_written], s[~as_written], rtol=1e-7, atol=1e-9)
        assert not np.isclose(s[~as_written], e[~as_written], rtol=1e-7, atol=1e-9).any()
    np.testing.assert_array_equal(xv, x_before)  # inputs are never overwritten
    np.testing.assert_array_equal(yv, y_before)
