"""Traversal, cloning, grad, compilation and evaluation are iterative: a graph 10,000 nodes deep
works under Python's default recursion limit."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import graphlab_kernel.tensor as T
from graphlab_kernel import debugprint, function, grad, pp
from graphlab_kernel.gof.graph import ancestors, clone_replace, graph_inputs, toposort

DEPTH = 10_000


@pytest.fixture
def default_recursion_limit():
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def _chain(x, depth: int):
    y = x
    for _ in range(depth):
        y = T.sin(y)
    return y


def _reference(value: float, depth: int) -> tuple[float, float]:
    y, dy = value, 1.0
    for _ in range(depth):
        y, dy = np.sin(y), dy * np.cos(y)
    return y, dy


def test_deep_graph_traverses_clones_differentiates_and_runs(default_recursion_limit):
    x = T.dscalar("x")
    y = _chain(x, DEPTH)
    assert len(toposort([y])) == DEPTH
    assert graph_inputs([y]) == [x]
    assert len(ancestors([y])) == DEPTH + 1
    x2 = T.dscalar("x2")
    (y2,), _ = clone_replace([y], {x: x2})
    assert graph_inputs([y2]) == [x2]
    gy = grad(y, x)
    f = function([x], [y, gy], mode="NO_OPT", backend="numpy")
    value, slope = f(0.5)
    expected_value, expected_slope = _reference(0.5, DEPTH)
    np.testing.assert_allclose(value, expected_value, rtol=1e-12)
    np.testing.assert_allclose(slope, expected_slope, rtol=1e-9)


def test_deep_graph_compiles_with_the_default_mode(default_recursion_limit):
    x = T.dvector("x")
    y = x
    for _ in range(DEPTH):
        y = y * 1.0001
    f = function([x], y)
    np.testing.assert_allclose(f([1.0, 2.0]), np.array([1.0, 2.0]) * 1.0001 ** DEPTH)


def test_printing_a_deep_graph_does_not_recurse(default_recursion_limit):
    x = T.dscalar("x")
    y = _chain(x, 2_000)
    text = pp(y)
    assert text == "sin(" * 2_000 + "x" + ")" * 2_000
    lines = debugprint(y, file="str").splitlines()
    assert len(lines) == 2_001 and lines[-1].strip(" |") == "x"
