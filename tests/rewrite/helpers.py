"""Helpers for the rewrite tests: run one rule, or a whole mode, and compare with the unoptimized graph."""

from __future__ import annotations

import numpy as np

import graphlab_kernel as G
from graphlab_kernel.backend.numpy_backend import NumpyBackend
from graphlab_kernel.gof.fg import FunctionGraph
from graphlab_kernel.rewrite.engine import Rule, RuleSet, apply_rules


def rewritten(inputs, outputs, *rules: Rule) -> FunctionGraph:
    """The FunctionGraph of `outputs` after applying only `rules` to a fixed point."""
    fgraph = FunctionGraph(inputs, outputs if isinstance(outputs, list) else [outputs])
    apply_rules(fgraph, RuleSet("under test", tuple(rules)))
    return fgraph


def run_fgraph(fgraph: FunctionGraph, values) -> list:
    """Evaluate a FunctionGraph with the reference backend."""
    return NumpyBackend().compile(fgraph)([np.asarray(v) for v in values])


def random_values(inputs, rng, low=-2.0, high=2.0, shape_len=5) -> list:
    """One random array per input, of its type (float in [low, high))."""
    values = []
    for v in inputs:
        shape = tuple(1 if b else shape_len for b in v.broadcastable)
        values.append(rng.uniform(low, high, size=shape).astype(v.dtype))
    return values


def assert_same_outputs(inputs, outputs, values, mode="FAST_RUN", rtol=1e-7, atol=1e-12):
    """The optimized function gives the unoptimized one's outputs on `values`."""
    expected = G.function(inputs, outputs, mode="NO_OPT", backend="numpy")(*values)
    got = G.function(inputs, outputs, mode=mode, backend="numpy")(*values)
    if not isinstance(outputs, list):
        expected, got = [expected], [got]
    for e, g in zip(expected, got):
        assert g.dtype == e.dtype and g.shape == e.shape
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol)
