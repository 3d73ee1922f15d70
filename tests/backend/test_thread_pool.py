"""The thread pool (backend/c/pool.c) that compiled functions run large kernels on.

Its contract: results do not depend on the number of threads (bit for bit), several Python threads
may call compiled functions at once, and a forked child gets a working pool of its own."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import graphlab_kernel as G
import graphlab_kernel.tensor as T
from graphlab_kernel.backend.c import runtime
from graphlab_kernel.tensor.fused import DotMapGemv
from tests.backend.threads import run_in_threads, run_with_threads

# The seed's logistic-regression step, whose DotMapGemv runs in parallel parts; printed outputs
# are hashed so that two processes can be compared bit for bit.
SCRIPT = textwrap.dedent("""
    import numpy as np
    import graphlab_kernel as G
    import graphlab_kernel.tensor as T
    rng = np.random.default_rng(5)
    X = rng.standard_normal((1001, 517))
    y = rng.integers(0, 2, 1001).astype("float64")
    x_, y_, w_ = T.dmatrix("x"), T.dvector("y"), T.dvector("w")
    p = 1 / (1 + T.exp(-T.dot(x_, w_)))
    cost = (-y_ * T.log(p) - (1 - y_) * T.log(1 - p)).mean() + 0.01 * (w_ ** 2).sum()
    f = G.function([x_, y_, w_], [p, T.grad(cost, w_)])
    outs = f(X, y, rng.standard_normal(517) * 0.1)
""")


def test_results_are_the_same_bit_for_bit_with_one_thread_or_several():
    one, digest_one = run_with_threads(SCRIPT, 1)
    three, digest_three = run_with_threads(SCRIPT, 3)
    assert (one, three) == (1, 3)
    assert digest_one == digest_three


def _step(n: int, k: int):
    x, y, w = T.dmatrix("x"), T.dvector("y"), T.dvector("w")
    p = 1 / (1 + T.exp(-T.dot(x, w)))
    cost = (-y * T.log(p) - (1 - y) * T.log(1 - p)).mean()
    f = G.function([x, y, w], w - 0.1 * T.grad(cost, w))  # a gradient step: one DotMapGemv
    assert f.backend == "c"
    assert any(isinstance(node.op, DotMapGemv) for node in f.maker.fgraph.toposort())
    rng = np.random.default_rng(n)
    X, Y, W = rng.standard_normal((n, k)), rng.integers(0, 2, n).astype(float), \
        rng.standard_normal(k) * 0.1
    P = 1 / (1 + np.exp(-X @ W))
    return f, (X, Y, W), W - 0.1 * (X.T @ (P - Y) / n)


@pytest.mark.parametrize("n", [1, 3, 4, 5, 127, 401, 2049])
def test_parts_cover_every_row_once(n):
    # row counts around the kernels' 4-row unit and the part boundaries
    f, args, want = _step(n, 300)
    np.testing.assert_allclose(f(*args), want, rtol=1e-10, atol=1e-12)


def test_several_python_threads_at_once():
    """Compiled code releases the GIL: while one thread runs a region, another's parts run on its
    own thread; every result must still be right."""
    cases = [_step(n, 257) for n in (1500, 900)]
    errors: list = []

    def work(f, args, want):
        try:
            for _ in range(40):
                np.testing.assert_allclose(f(*args), want, rtol=1e-10, atol=1e-12)
        except Exception as exc:  # reported by the main thread
            errors.append(exc)

    assert run_in_threads(work, [cases[i % 2] for i in range(4)])
    assert not errors, errors[0]


def _child(conn, f, args, want) -> None:
    conn.send(bool(np.allclose(f(*args), want, rtol=1e-10, atol=1e-12)))


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_a_forked_child_has_a_working_pool():
    f, args, want = _step(3000, 200)
    np.testing.assert_allclose(f(*args), want, rtol=1e-10, atol=1e-12)  # workers now running
    assert runtime.thread_pool().threads() >= 1
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_child, args=(child, f, args, want))
    proc.start()
    proc.join(timeout=120)
    if proc.is_alive():
        proc.kill()
        pytest.fail("the forked child hung in the thread pool")
    assert proc.exitcode == 0
    assert parent.recv() is True


def test_bad_thread_count_settings_are_clamped():
    for setting, expected in (("0", 1), ("-4", 1), ("1000", 16)):
        env = dict(os.environ, GRAPHLAB_NUM_THREADS=setting)
        out = subprocess.run([sys.executable, "-c", "from graphlab_kernel.backend.c import "
                              "runtime; print(runtime.thread_pool().threads())"],
                             env=env, capture_output=True, text=True, timeout=300, check=True)
        assert int(out.stdout) == expected


@pytest.mark.parametrize("n", [262_147, 1_000_003])
def test_large_elementwise_loops_run_in_parts(n):
    """Above ~64k element operations a flat loop is cut into parts (on 16-item boundaries);
    every element is computed once, in place too."""
    x, y, z = T.dvector("x"), T.dvector("y"), T.dvector("z")
    f = G.function([x, y, z], [(x * y + z) * T.exp(-x * x) + y * y * 0.5 - x, T.tanh(x) + 1])
    assert f.backend == "c"
    rng = np.random.default_rng(n)
    X, Y, Z = (rng.standard_normal(n) for _ in range(3))
    first, second = f(X, Y, Z)
    np.testing.assert_allclose(first, (X * Y + Z) * np.exp(-X * X) + Y * Y * 0.5 - X,
                               rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(second, np.tanh(X) + 1, rtol=1e-13)
    # a strided view takes the general (serial, scalar libm) loop: the same values to rounding
    strided = np.repeat(X, 2)[::2]
    np.testing.assert_allclose(f(strided, Y, Z)[1], second, rtol=1e-14, atol=1e-15)


def test_intermediates_kept_between_calls_fit_each_call():
    """Intermediate buffers are kept for the next call (gl_take/gl_give): growing, shrinking and
    concurrent calls must each get buffers of their own size."""
    a, b = T.dmatrix("a"), T.dmatrix("b")
    f = G.function([a, b], [T.dot(T.tanh(a), b).sum(axis=0), (T.exp(a) * 2).max(axis=1)])
    rng = np.random.default_rng(9)

    def check(n, k):
        A, B = rng.standard_normal((n, k)), rng.standard_normal((k, 3))
        s, m = f(A, B)
        np.testing.assert_allclose(s, (np.tanh(A) @ B).sum(axis=0), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(m, (np.exp(A) * 2).max(axis=1), rtol=1e-13)

    for n, k in [(10, 4), (600, 500), (3, 2), (600, 500), (1000, 700), (1, 1), (0, 5)]:
        check(n, k)
    errors: list = []

    def work():
        try:
            for n in (50, 400, 7, 300):
                check(n, 200)
        except Exception as exc:
            errors.append(exc)

    assert run_in_threads(work, [()] * 3)
    assert not errors, errors[0]
