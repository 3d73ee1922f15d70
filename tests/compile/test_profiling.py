"""function(..., profile=True): per-node times on both backends, attributed to the right nodes."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel as gl
import graphlab_kernel.tensor as T
from graphlab_kernel.ifelse import ifelse
from tests.toolchain import require_compiler



def _heavy_and_light(backend):
    """exp over 2 * 10^6 values beside a scalar add: the exp node must take nearly all the time."""
    x, a, b = T.dvector("x"), T.dscalar("a"), T.dscalar("b")
    f = gl.function([x, a, b], [T.exp(x).sum(), a + b], backend=backend, profile=True,
                    name="heavy")
    assert f.backend == backend
    return f


def test_values_are_those_of_the_function_not_profiled(backend):
    x, y = T.dmatrix("x"), T.dvector("y")
    out = T.tanh(T.dot(x, y)) * 2 + T.log1p(T.abs(y)).sum()
    rng = np.random.default_rng(0)
    xv, yv = rng.standard_normal((7, 5)), rng.standard_normal(5)
    profiled = gl.function([x, y], out, backend=backend, profile=True)
    plain = gl.function([x, y], out, backend=backend)
    expected = np.tanh(xv @ yv) * 2 + np.log1p(np.abs(yv)).sum()
    np.testing.assert_allclose(profiled(xv, yv), expected, rtol=1e-12)
    np.testing.assert_array_equal(profiled(xv, yv), plain(xv, yv))
    assert plain.profile is None


def test_the_time_goes_to_the_node_doing_the_work(backend):
    f = _heavy_and_light(backend)
    xv = np.linspace(-1, 1, 2_000_000)
    for _ in range(3):
        total, s = f(xv, 2.0, 3.0)
    np.testing.assert_allclose(total, np.exp(xv).sum(), rtol=1e-10)
    assert s == 5.0
    p = f.profile
    assert p.calls == 3
    seconds = p.node_seconds()
    heavy = next(n for n in seconds if "exp" in str(n.op) or "Sum" in str(n.op))
    light = next(n for n in seconds if str(n.op) == "Elemwise{add,no_inplace}")
    assert seconds[heavy] > 0.5 * sum(seconds.values())
    assert seconds[light] < seconds[heavy] / 20
    # the parts nest: nodes <= the backend's runner <= the whole calls timed from Python
    assert 0 < sum(seconds.values()) <= p.compiled_seconds <= p.seconds


def test_every_node_is_timed_or_runs_with_the_shape_code(backend):
    x, y = T.dmatrix("x"), T.dmatrix("y")
    f = gl.function([x, y], [(T.exp(x) + y).sum(axis=0), x.shape[0] * 2], backend=backend,
                    profile=True)
    f(np.ones((3, 4)), np.ones((3, 4)))
    timed, early = f.profile.nodes, f.profile.shape_nodes
    assert set(timed) | set(early) == set(f.maker.fgraph.toposort())
    assert not set(timed) & set(early)
    assert [n for n in f.maker.fgraph.toposort() if n in timed] == timed  # in the order they run
    if backend == "numpy":
        assert early == [] and f.profile.shape_seconds == 0


def test_a_branch_not_taken_costs_nothing(backend):
    c, x = T.dscalar("c"), T.dvector("x")
    f = gl.function([c, x], ifelse(T.gt(c, 0), T.exp(x).sum(), T.constant(0.0, dtype="float64")),
                    backend=backend, profile=True)
    xv = np.ones(100_000)
    assert f(-1.0, xv) == 0.0
    seconds = {str(n.op): s for n, s in f.profile.node_seconds().items()}
    branch = [s for op, s in seconds.items() if "exp" in op or "Sum" in op]
    assert branch and all(s == 0 for s in branch)
    np.testing.assert_allclose(f(1.0, xv), np.e * 100_000)
    seconds = {str(n.op): s for n, s in f.profile.node_seconds().items()}
    assert all(s > 0 for op, s in seconds.items() if "exp" in op or "Sum" in op)


def test_a_call_that_fails_is_not_counted(backend):
    x, y = T.dvector("x"), T.dvector("y")
    f = gl.function([x, y], x + y, backend=backend, profile=True)
    f(np.ones(3), np.ones(3))
    with pytest.raises(ValueError):
        f(np.ones(3), np.ones(4))
    assert f.profile.calls == 1
    assert f.profile._counters.read()[0] == 1


def test_reset_starts_from_zero(backend):
    f = _heavy_and_light(backend)
    f(np.ones(1000), 1.0, 2.0)
    f.profile.reset()
    assert f.profile.calls == 0 and f.profile.seconds == 0 and f.profile.compiled_seconds == 0
    assert all(s == 0 for s in f.profile.node_seconds().values())
    f(np.ones(1000), 1.0, 2.0)
    assert f.profile.calls == 1 and f.profile.compiled_seconds > 0


def test_functions_keep_counters_of_their_own(backend):
    f, g = _heavy_and_light(backend), _heavy_and_light(backend)
    f(np.ones(1000), 1.0, 2.0)
    assert g.profile.calls == 0 and g.profile.compiled_seconds == 0
    assert f.profile.compiled_seconds > 0


def test_scalar_functions_and_updates_are_profiled(backend):
    a, b = T.dscalar("a"), T.dscalar("b")
    f = gl.function([a, b], a * b + 1, backend=backend, profile=True)
    assert [f(2.0, 3.0) for _ in range(5)] == [7.0] * 5
    assert f.profile.calls == 5 and f.profile._counters.read()[0] == 5
    w = gl.shared(np.zeros(4), name="w")
    g = gl.function([b], [], updates=[(w, w + b)], backend=backend, profile=True)
    for _ in range(4):
        g(0.5)
    np.testing.assert_array_equal(w.get_value(), np.full(4, 2.0))
    assert g.profile.calls == 4 and g.profile.compiled_seconds > 0


def test_copy_is_profiled_too(backend):
    f = _heavy_and_light(backend)
    g = f.copy()
    g(np.ones(10), 1.0, 2.0)
    assert g.profile is not f.profile and g.profile.calls == 1 and f.profile.calls == 0


def test_summary_names_the_nodes_and_the_split(backend):
    f = _heavy_and_light(backend)
    assert "call it to collect times" in f.profile.summary()
    f(np.ones(100_000), 1.0, 2.0)
    text = f.profile.summary()
    assert text.startswith(f"Profile of function 'heavy' (backend {backend}): 1 call(s)")
    assert "around it, in Python" in text and "Elemwise{add,no_inplace}" in text
    node_lines = text.split("Nodes, slowest first")[1].splitlines()[2:]
    assert "exp" in node_lines[0] or "Sum" in node_lines[0]  # the slowest first
    assert len(f.profile.summary(limit=1).split("Nodes, slowest first")[1].splitlines()) == 3
    ops = f.profile.op_seconds()
    assert list(ops.values()) == sorted(ops.values(), key=lambda v: -v[0])
    assert sum(n for _, n in ops.values()) == len(f.profile.nodes)


def test_the_c_source_is_unchanged_when_not_profiling():
    require_compiler()
    x = T.dvector("x")
    plain = gl.function([x], T.exp(x) * 2)
    profiled = gl.function([x], T.exp(x) * 2, profile=True)
    assert "gl_prof" not in plain.c_source and "gl_prof_add" in profiled.c_source
    assert profiled.c_source.count("gl_t0 = gl_clock();") == len(profiled.profile.nodes)
