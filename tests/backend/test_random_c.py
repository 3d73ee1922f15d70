"""Random draws in C: compiled (no fallback), bit for bit the NumPy backend's values (normal values
within 8 ulp: libm's log, cos and sin against NumPy's), whatever the number of threads, with the
random state advanced in its own array."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel.tensor as T
from graphlab_kernel import function
from graphlab_kernel.tensor import philox
from graphlab_kernel.tensor.random import RandomStreams
from tests.backend.threads import run_with_threads


def _both(build, args=(), seed=21, calls=2, mode=None):
    """Per call (of `calls`), per output, (C value, NumPy value) of the same graph built twice
    from the same seed; the random states after the calls are checked equal."""
    results, states = [], []
    for backend in ("c", "numpy"):
        srng = RandomStreams(seed)
        inputs, outputs = build(srng)
        f = function(inputs, outputs, backend=backend, mode=mode)
        assert f.backend == backend and f.fallback_reason is None
        results.append([f(*args) for _ in range(calls)])
        states.append([s.get_value() for s, _ in srng.state_updates])
    for a, b in zip(*states):
        np.testing.assert_array_equal(a, b)
    return [list(zip(c_call, n_call)) for c_call, n_call in zip(*results)]


def _same(c, n):
    assert c.dtype == n.dtype and c.shape == n.shape
    np.testing.assert_array_equal(c, n)


def _within_8_ulp(c, n):
    """C's log, cos and sin are glibc's (libmvec's vector ones in vectorized loops: within 4 ulp
    of the exact value), NumPy's its own: they may differ by the sum of both errors."""
    assert c.dtype == n.dtype and c.shape == n.shape
    assert np.all(np.abs(c - n) <= 8 * np.spacing(np.abs(n).astype(n.dtype))), \
        f"max difference {np.max(np.abs(c - n))}"


SIZES = [(), (1,), (7,), (4, 5), (2, 3, 33)]


@pytest.mark.parametrize("size", SIZES)
def test_uniform_bernoulli_and_integers_are_bit_identical(size):
    def build(srng):
        p = T.dvector("p")
        low = T.lscalar("low")
        return [p, low], [srng.uniform(size), srng.uniform(size, dtype="float32", low=-3, high=2),
                          srng.binomial(size, p=0.3), srng.binomial(size, p=0.6, dtype="float32"),
                          srng.binomial(size, p=T.cast(0.5, "float32"), dtype="bool"),
                          srng.binomial(size, p=p[0], dtype="int8"),
                          srng.random_integers(size, low, 10 ** 6),
                          srng.random_integers(size, -2 ** 63, 2 ** 63 - 1),
                          srng.random_integers(size, low, 2 ** 62 + 2 ** 61, dtype="int32")]
    for call in _both(build, (np.array([0.25, 0.5]), -7)):
        for c, n in call:
            _same(c, n)


@pytest.mark.parametrize("size", SIZES)
def test_normal_values_agree_within_8_ulp(size):
    def build(srng):
        return [], [srng.normal(size), srng.normal(size, dtype="float32", avg=1, std=2)]
    for call in _both(build):
        for c, n in call:
            _within_8_ulp(c, n)


def test_broadcast_and_strided_parameters():
    def build(srng):
        p, low, high = T.dmatrix("p"), T.lvector("low"), T.lmatrix("high")
        return [p, low, high], [srng.binomial((3, 4, 5), p=p), srng.random_integers(
            (3, 4, 5), low=low, high=high), srng.uniform((3, 4, 5), low=p, high=p + 1)]
    p = np.linspace(0, 1, 40).reshape(8, 5)[::-2]      # (4, 5), negative strides
    low = np.arange(-20, 0, 2)[::2]                     # (5,), strided
    high = np.arange(100, 120).reshape(4, 5).T.copy().T  # (4, 5), Fortran order
    for call in _both(build, (p, low, high)):
        for c, n in call:
            _same(c, n)
        integers = call[1][0]
        assert np.all((integers >= low) & (integers <= high))


@pytest.mark.parametrize("kind", ["uniform", "normal", "normal-float32", "binomial",
                                  "random_integers"])
def test_a_value_does_not_depend_on_the_size_of_its_draw(kind):
    # libm's vector and scalar functions may differ by an ulp: every normal value must come from
    # the same code, wherever the draw ends
    srng = RandomStreams(44)
    n = T.lscalar("n")
    dtype = "float32" if kind.endswith("float32") else None
    draw = getattr(srng, kind.split("-")[0])
    rv = draw((n,), dtype=dtype) if dtype else draw((n,))
    f = function([n], rv, no_default_updates=True)
    longest = f(5000)
    for m in (1, 2, 3, 5, 7, 9, 31, 33, 255, 257, 511, 513, 1023, 4097):
        np.testing.assert_array_equal(f(m), longest[:m], err_msg=f"a draw of {m}")


def test_unoptimized_graphs_compile_too():
    def build(srng):
        x = T.dmatrix("x")
        return [x], [x * srng.binomial(x.shape, p=0.8), srng.normal(x.shape, avg=x[0])]
    x = np.arange(12.0).reshape(3, 4)
    for (c0, n0), (c1, n1) in _both(build, (x,), mode="NO_OPT"):
        _same(c0, n0)
        _within_8_ulp(c1, n1)


@pytest.mark.parametrize("kind", ["uniform", "normal", "binomial", "random_integers"])
def test_a_million_values_in_parallel_parts_equal_numpy(kind):
    def build(srng):
        return [], [getattr(srng, kind)((1000, 1001))]
    ((c, n),) = _both(build, calls=1)[0]
    (_within_8_ulp if kind == "normal" else _same)(c, n)


SCRIPT = """
import numpy as np
from graphlab_kernel import function
from graphlab_kernel.tensor.random import RandomStreams
srng = RandomStreams(31)
f = function([], [srng.uniform((1000, 1003)), srng.normal((999_999,)), srng.binomial((10 ** 6,)),
                  srng.random_integers((10 ** 6,), -5, 2 ** 62)])
assert f.backend == "c"
outs = f() + f()
"""


def test_the_same_bits_with_one_thread_or_several():
    threads_one, digest_one = run_with_threads(SCRIPT, 1)
    threads_many, digest_many = run_with_threads(SCRIPT, 4)
    assert threads_one == 1 and threads_many > 1
    assert digest_one == digest_many


def test_the_state_is_advanced_in_its_own_array():
    srng = RandomStreams(41)
    x = T.dvector("x")
    rv = srng.uniform(x.shape)
    f = function([x], x * rv)
    assert f.backend == "c" and "computed in place" in f.c_source
    f(np.ones(3))
    array = rv.rng.get_value(borrow=True)
    key = int(array[0])
    for calls in range(2, 6):
        values = f(np.ones(3))
        assert rv.rng.get_value(borrow=True) is array
        np.testing.assert_array_equal(array, [key, calls])
        np.testing.assert_array_equal(values, philox.uniform(np.array([key, calls - 1],
                                                                      dtype=np.uint64), (3,)))


def test_a_failed_call_leaves_the_state_as_it_was():
    srng = RandomStreams(42)
    p = T.dvector("p")
    rv = srng.binomial((4,), p=p)
    f = function([p], rv)
    f(np.full(4, 0.5))
    f(np.full(4, 0.5))
    array = rv.rng.get_value(borrow=True)
    before = array.copy()
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\]; got p = -0.5 at index \(3,\)"):
        f(np.array([0.5, 0.5, 0.5, -0.5]))
    np.testing.assert_array_equal(rv.rng.get_value(borrow=True), before)


def test_the_first_bad_parameter_is_reported_when_several_parts_have_one():
    srng = RandomStreams(43)
    p, high = T.dvector("p"), T.lvector("high")
    f = function([p, high], [srng.binomial(p.shape, p=p), srng.random_integers(
        high.shape, low=0, high=high)])
    p_value, high_value = np.full(100_000, 0.5), np.full(100_000, 7)
    f(p_value, high_value)
    p_value[[70_001, 90_000]] = [2.0, -1.0]
    with pytest.raises(ValueError, match=r"got p = 2 at index \(70001,\)"):
        f(p_value, high_value)
    p_value[:] = 0.5
    high_value[[50_000, 99_999]] = -3
    with pytest.raises(ValueError, match=r"low = 0, high = -3 at index \(50000,\)"):
        f(p_value, high_value)
