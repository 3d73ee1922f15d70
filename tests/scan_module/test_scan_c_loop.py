"""The C loop: a Scan whose body compiled to C runs all its steps in one call of the body's
gl_loop. Its values against the NumPy backend's step-by-step loop and NumPy itself, for every
way a step reads its inputs; and bad values stopped in Python, before C runs."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel as theano
import graphlab_kernel.tensor as T
from graphlab_kernel.scan_module.builder import scan_keeping_last
from tests.scan_module.loops import compile_on, loops_in

rng = np.random.default_rng(20261125)


def _counting_loop(f) -> list[int]:
    """Wrap the gl_loop of f's one loop body: the list of phases it is called with."""
    (op,) = loops_in(f)
    run = op.body("c")._run
    real, phases = run.loop, []

    def loop(phase, *args):
        phases.append(phase)
        return real(phase, *args)

    run.loop = loop
    return phases


def test_all_steps_run_in_one_call_and_match_numpy():
    X, W, h0 = T.dmatrix("X"), T.dmatrix("W"), T.dvector("h0")
    hs, _ = theano.scan(lambda x, h, W: T.tanh(T.dot(W, h) + x), sequences=X, outputs_info=h0,
                        non_sequences=W)
    f = compile_on("c", [X, W, h0], hs)
    phases = _counting_loop(f)
    Xv, Wv, hv = rng.standard_normal((50, 8)), rng.standard_normal((8, 8)) * 0.3, np.zeros(8)
    expected, h = [], hv
    for x in Xv:
        h = np.tanh(Wv @ h + x)
        expected.append(h)
    np.testing.assert_allclose(f(Xv, Wv, hv), expected, rtol=1e-12, atol=1e-12)
    assert phases == [0, 1]  # step 0's shapes, then the 50 steps: two calls in all


def test_sequences_read_in_place_whatever_their_layout():
    # rows of a transposed matrix (a row step of 8 bytes, items 400 bytes apart), of a reversed
    # one (a negative row step), and of a misaligned view: the first two are read in place,
    # the last is copied aligned
    X = T.dmatrix("X")
    sums, _ = theano.scan(lambda row, acc: acc + 2 * row, sequences=X,
                          outputs_info=T.zeros_like(X[0]))
    f = compile_on("c", [X], sums)
    g = compile_on("numpy", [X], sums)
    base = rng.standard_normal((50, 6))
    raw = np.zeros(base.nbytes + 1, dtype=np.uint8)
    misaligned = np.frombuffer(raw.data, dtype=np.float64, count=base.size, offset=1)
    misaligned = misaligned.reshape(base.shape)
    misaligned[...] = base
    assert not misaligned.flags.aligned
    for value in (base.T, base[::-1], base[::2, ::-3], misaligned):
        expected = np.cumsum(2 * value, axis=0)
        np.testing.assert_allclose(f(value), expected, rtol=1e-13)
        np.testing.assert_allclose(g(value), expected, rtol=1e-13)


def test_a_body_with_a_large_constant():
    # constants above 256 values are passed to C as hidden inputs, which gl_loop passes on
    table = rng.standard_normal(300)
    X = T.dmatrix("X")
    out, _ = theano.scan(lambda row, acc: acc + row * T.constant(table), sequences=X,
                         outputs_info=T.zeros_like(X[0]))
    Xv = rng.standard_normal((7, 300))
    np.testing.assert_allclose(compile_on("c", [X], out)(Xv), np.cumsum(Xv * table, axis=0),
                               rtol=1e-13)


@pytest.mark.parametrize("backend", ["c", "numpy"])
def test_every_tap_of_a_ring_keeping_the_last_values(backend):
    # taps -3, -2 and -1 of an output keeping only its last value: the ring has one row more
    # than the taps read, so that no step writes its value (here a product, which C computes
    # into its row element by element) into the row that tap -3 reads
    start, W = T.dmatrix("start"), T.dmatrix("W")
    n = T.lscalar("n")
    (last,) = scan_keeping_last(lambda a, b, c, W: T.dot(W + 0.1 * T.outer(b, c), a), sequences=[],
                                outputs_info=[{"initial": start, "taps": [-3, -2, -1]}],
                                last_only=[True], non_sequences=[W], n_steps=n)
    f = compile_on(backend, [start, n, W], last)
    Wv = rng.standard_normal((4, 4)) * 0.5
    values = list(rng.standard_normal((3, 4)))
    for _ in range(12):
        values.append((Wv + 0.1 * np.outer(values[-2], values[-1])) @ values[-3])
    for steps in (1, 2, 3, 4, 11):
        np.testing.assert_allclose(f(np.array(values[:3]), steps, Wv), values[steps + 2],
                                   rtol=1e-12, atol=1e-12)


def test_mapped_outputs_several_outputs_and_a_while_loop():
    x = T.dvector("x")
    limit = T.dscalar("limit")

    def step(v, acc, limit):
        total = acc + v
        return [total, total * v], theano.scan_module.until(total > limit)

    (totals, products), _ = theano.scan(step, sequences=x, outputs_info=[np.float64(0), None],
                                        non_sequences=limit)
    f = compile_on("c", [x, limit], [totals, products])
    values = np.arange(1.0, 11.0)
    got_totals, got_products = f(values, 12.0)
    np.testing.assert_array_equal(got_totals, [1, 3, 6, 10, 15])  # stops after 15 > 12
    np.testing.assert_array_equal(got_products, np.array([1, 3, 6, 10, 15]) * values[:5])
    full_totals, _ = f(values, 1e9)
    np.testing.assert_array_equal(full_totals, np.cumsum(values))


def test_a_shape_change_at_a_later_step_is_an_error_naming_it():
    k = T.lvector("k")
    v0 = T.dvector("v0")
    out, _ = theano.scan(lambda n, prev: T.concatenate([prev, prev])[:n], sequences=k,
                         outputs_info=v0)
    f = compile_on("c", [k, v0], out)
    np.testing.assert_array_equal(f(np.array([3, 3]), np.arange(3.0)), [[0, 1, 2], [0, 1, 2]])
    with pytest.raises(ValueError, match=r"scan: at step 2, outputs_info\[0\] \(v0\) has shape "
                                         r"\(2,\), but its previous value has shape \(3,\)"):
        f(np.array([3, 3, 2]), np.arange(3.0))
    x = T.dvector("x")
    ragged, _ = theano.scan(lambda i, x: x[:i], sequences=k, non_sequences=x)
    g = compile_on("c", [k, x], ragged)
    with pytest.raises(ValueError, match=r"scan: at step 3, output 0 has shape \(1,\), but "
                                         r"\(2,\) at step 0; each step must return the same "):
        g(np.array([2, 2, 2, 1]), np.ones(4))


def test_bad_values_never_reach_c():
    # the loop's node run directly (as a backend runs it) with values of the wrong dtype or with
    # a broadcastable axis of length 2: a TypeError naming the body's input, before C runs
    X, b = T.dmatrix("X"), T.drow("b")
    out, _ = theano.scan(lambda row, acc, b: acc + row + b[0], sequences=X,
                         outputs_info=T.zeros_like(X[0]), non_sequences=b)
    f = compile_on("c", [X, b], out)
    (node,) = [n for n in f.maker.fgraph.toposort() if n.op in loops_in(f)]
    run = node.op.make_perform(node, "c")
    good = [np.int64(3), np.ones((3, 2)), np.zeros((1, 2)), np.ones((1, 2))]
    np.testing.assert_array_equal(run(node, good)[0], [[2, 2], [4, 4], [6, 6]])
    with pytest.raises(TypeError, match=r"scan: the loop body's input .* is TensorType\(float64, "
                                        r"vector\); got an array of float32 with shape \(2,\)"):
        run(node, [good[0], good[1].astype(np.float32), *good[2:]])
    with pytest.raises(TypeError, match=r"scan: the loop body's input .* is TensorType\(float64, "
                                        r"row\); got an array of float64 with shape \(2, 2\)"):
        run(node, [*good[:3], np.ones((2, 2))])
    with pytest.raises(ValueError, match=r"scan: sequences\[0\] \(X\) has 3 row\(s\); 4 "
                                         r"step\(s\) need 4"):
        run(node, [np.int64(4), *good[1:]])  # more steps than the sequence has rows
