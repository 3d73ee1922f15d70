"""tooling.inner_function: the compiled body a tool (the explorer) opens for a loop node."""

from __future__ import annotations

import numpy as np

import graphlab_kernel as theano
import graphlab_kernel.tensor as T
from graphlab_kernel import Function
from graphlab_kernel.tooling import inner_function
from tests.scan_module.loops import loops_in
from tests.toolchain import require_compiler


def _running_sum(backend):
    x = T.dvector("x")
    total, _ = theano.scan(lambda v, acc: acc + v, sequences=x, outputs_info=np.float64(0),
                           name="running")
    return theano.function([x], T.exp(total), backend=backend)


def test_a_loop_node_opens_on_the_body_its_function_runs():
    require_compiler()
    f = _running_sum("c")
    [loop] = [n for n in f.maker.fgraph.toposort() if n.op in loops_in(f)]
    body = inner_function(loop, within=f)
    assert isinstance(body, Function)
    assert body is inner_function(loop, within=f)  # compiled once
    assert body.name == "running" and body.backend == "c" and "gl_loop" in body.c_source
    assert body(2.0, 3.0) == [5.0]  # one step: the row x[t] plus the value of t - 1
    assert np.allclose(f([1.0, 2.0, 3.0]), np.exp([1.0, 3.0, 6.0]))


def test_a_function_on_numpy_opens_the_body_compiled_for_numpy():
    f = _running_sum("numpy")
    [loop] = [n for n in f.maker.fgraph.toposort() if n.op in loops_in(f)]
    body = inner_function(loop, within=f)
    assert body.backend == "numpy" and body.c_source is None
    assert body(2.0, 3.0) == [5.0]


def test_nodes_without_a_body_have_no_inner_function():
    f = _running_sum("numpy")
    others = [n for n in f.maker.fgraph.toposort() if n.op not in loops_in(f)]
    assert others and all(inner_function(n, within=f) is None for n in others)


def test_a_loop_inside_a_loop_body_opens_further():
    require_compiler()
    M = T.dmatrix("M")

    def row_total(row):
        sums, _ = theano.scan(lambda v, acc: acc + v, sequences=row,
                              outputs_info=np.float64(0), name="inner")
        return sums[-1]

    totals, _ = theano.scan(row_total, sequences=M, name="outer")
    f = theano.function([M], totals)
    assert np.allclose(f(np.arange(6.0).reshape(2, 3)), [3.0, 12.0])
    [outer] = [n for n in f.maker.fgraph.toposort() if n.op in loops_in(f)]
    body = inner_function(outer, within=f)
    # it holds a loop itself: C calling back into Python for it, so no gl_loop of its own
    assert body.name == "outer" and body.backend == "c" and "gl_loop" not in body.c_source
    [inner] = [n for n in body.maker.fgraph.toposort() if n.op in loops_in(body)]
    innermost = inner_function(inner, within=body)
    assert innermost.name == "inner" and innermost.backend == "c"
    assert "gl_loop" in innermost.c_source
