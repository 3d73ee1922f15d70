"""RandomStreams: draws against the NumPy reference generator, default updates, seeding, symbolic
sizes and parameters, gradients through the parameters, and errors. The C backend's own checks
(bit-identical values, threads, in-place state) are in tests/backend/test_random_c.py."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel.tensor as T
from graphlab_kernel import function, grad, shared
from graphlab_kernel.gradient import DisconnectedInputError
from graphlab_kernel.tensor import philox
from graphlab_kernel.tensor.random import RandomDraw, RandomStreams

BACKENDS = ["numpy", "c"]


def _state(rv) -> np.ndarray:
    return rv.rng.get_value()


# --- Theano's tutorial behaviour ----------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_default_updates_give_new_values_and_no_default_updates_the_same(backend):
    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))
    rv_n = srng.normal((2, 2))
    f = function([], rv_u, backend=backend)
    g = function([], rv_n, no_default_updates=True, backend=backend)
    f_val0, f_val1 = f(), f()
    assert not np.any(f_val0 == f_val1)
    g_val0, g_val1 = g(), g()
    np.testing.assert_array_equal(g_val0, g_val1)
    assert int(_state(rv_u)[1]) == 2 and int(_state(rv_n)[1]) == 0
    # a random variable drawn twice in one function is one draw
    nearly_zeros = function([], rv_u + rv_u - 2 * rv_u, backend=backend)
    np.testing.assert_array_equal(nearly_zeros(), np.zeros((2, 2)))


@pytest.mark.parametrize("backend", BACKENDS)
def test_values_and_state_follow_the_reference(backend):
    srng = RandomStreams(seed=5)
    rv = srng.uniform((3, 4), low=-2.0, high=6.0)
    f = function([], rv, backend=backend)
    for calls in range(1, 4):
        before = _state(rv)
        expected = -2.0 + 8.0 * philox.uniform(before, (3, 4))
        np.testing.assert_array_equal(f(), expected)
        after = _state(rv)
        assert after.dtype == np.uint64
        np.testing.assert_array_equal(after, [before[0], calls])
    assert int(before[0]) == int(philox.initial_state(5, 0)[0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_random_variables_differ_and_each_state_advances(backend):
    srng = RandomStreams(seed=1)
    a, b = srng.uniform((50,)), srng.uniform((50,))
    f = function([], [a, b], backend=backend)
    va, vb = f()
    assert not np.any(va == vb)
    np.testing.assert_array_equal(va, philox.uniform(philox.initial_state(1, 0), (50,)))
    np.testing.assert_array_equal(vb, philox.uniform(philox.initial_state(1, 1), (50,)))
    np.testing.assert_array_equal(_state(a)[1:], [1])
    np.testing.assert_array_equal(_state(b)[1:], [1])
    assert [s for s, _ in srng.state_updates] == [a.rng, b.rng]
    assert srng.updates() == srng.state_updates and a.update == srng.state_updates[0]
    assert a.rng.default_update is a.update[1]


def test_seed_restarts_every_stream_and_the_ones_made_after():
    srng = RandomStreams(seed=3)
    u, n = srng.uniform((5,)), srng.normal((5,))
    f = function([], [u, n], backend="numpy")
    first = f()
    f()
    srng.seed(3)
    for a, b in zip(f(), first):
        np.testing.assert_array_equal(a, b)
    srng.seed(8)
    later = srng.uniform((5,))
    fresh = RandomStreams(seed=8)
    fu, fn, fl = fresh.uniform((5,)), fresh.normal((5,)), fresh.uniform((5,))
    got = function([], [u, n, later], backend="numpy")()
    want = function([], [fu, fn, fl], backend="numpy")()
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    srng.seed()  # back to the seed it was made with
    np.testing.assert_array_equal(function([], u, backend="numpy")(), first[0])


def test_same_seed_same_values_other_seed_other_values():
    def values(seed):
        srng = RandomStreams(seed)
        return function([], srng.uniform((20,)), backend="numpy")()
    np.testing.assert_array_equal(values(17), values(17))
    assert not np.any(values(17) == values(18))
    assert not np.any(values(None) == values(None))  # seeded from the system's entropy


@pytest.mark.parametrize("backend", BACKENDS)
def test_explicit_update_and_excluded_variables_win_over_default_updates(backend):
    srng = RandomStreams(seed=2)
    a, b = srng.uniform(()), srng.uniform(())
    f = function([], [a, b], no_default_updates=[a.rng], backend=backend)
    f()
    f()
    assert int(_state(a)[1]) == 0 and int(_state(b)[1]) == 2
    count = shared(np.int64(0))
    g = function([], a, updates=[(a.rng, a.rng * np.uint64(1))], backend=backend)  # unchanged
    g()
    assert int(_state(a)[1]) == 0
    h = function([], a + count, updates=[(count, count + 1)], backend=backend)
    h()
    assert int(_state(a)[1]) == 1 and count.get_value() == 1
    assert len(h.updates) == 2


def test_default_update_of_a_plain_shared_variable():
    x = shared(np.float64(1.0))
    x.default_update = x * 2
    f = function([], x + 0, backend="numpy")
    assert [f(), f(), f()] == [1.0, 2.0, 4.0]
    function([], x + 0, no_default_updates=True, backend="numpy")()
    assert x.get_value() == 8.0
    with pytest.raises(TypeError, match="no_default_updates"):
        function([], x + 0, no_default_updates=[x + 1])
    x.default_update = T.cast(x, "float32")
    with pytest.raises(TypeError, match="update of shared variable"):
        function([], x + 0)


# --- sizes and parameters -----------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_symbolic_sizes(backend):
    srng = RandomStreams(seed=4)
    x = T.dmatrix("x")
    n = T.lscalar("n")
    v = T.lvector("v")
    outs = [srng.uniform(x.shape), srng.normal((x.shape[0], 3)), srng.uniform((n,)),
            srng.uniform(n), srng.uniform((n * 2, x.shape[1] + 1))]
    f = function([x, n], outs, backend=backend, no_default_updates=True)
    assert f.backend == backend
    got = f(np.zeros((2, 5)), 4)
    assert [g.shape for g in got] == [(2, 5), (2, 3), (4,), (4,), (8, 6)]
    np.testing.assert_array_equal(got[0], philox.uniform(outs[0].rng.get_value(), (2, 5)))
    again = f(np.zeros((3, 1)), 0)
    assert [g.shape for g in again] == [(3, 1), (3, 3), (0,), (0,), (0, 2)]
    # a size vector given as an input: its lengths are read with the shapes, as an integer
    # input's value is (C reads v[0] and v[1] before it allocates anything)
    k = srng.random_integers(v, 0, 9, ndim=2)
    g = function([v], k, backend=backend, no_default_updates=True)
    assert g.backend == backend
    np.testing.assert_array_equal(g(np.array([3, 2])),
                                  philox.integers(k.rng.get_value(), 0, 9, (3, 2)))
    assert g(np.array([0, 7])).shape == (0, 7)
    # lengths computed from array values: on NumPy, as alloc with such lengths
    m = T.lmatrix("m")
    k = srng.random_integers(T.max(m, axis=1), 0, 9, ndim=2)
    g = function([m], k, backend=backend, no_default_updates=True)
    assert g.backend == "numpy"
    if backend == "c":
        assert "RandomDraw{integers, int64} with a length computed from array values" in \
            g.fallback_reason
    np.testing.assert_array_equal(g(np.array([[3, 1], [0, 2]])),
                                  philox.integers(k.rng.get_value(), 0, 9, (3, 2)))


def test_broadcast_parameters_and_size_none():
    srng = RandomStreams(seed=6)
    low = T.dvector("low")
    avg, std = T.dmatrix("avg"), T.dscalar("std")
    u = srng.uniform((3, 4), low=low, high=low + 1)
    z = srng.normal(avg=avg, std=std)  # size None: the parameters' shape
    f = function([low, avg, std], [u, z], backend="numpy", no_default_updates=True)
    lv, av = np.arange(4.0), np.full((2, 3), 10.0)
    gu, gz = f(lv, av, 0.5)
    np.testing.assert_array_equal(gu, lv + philox.uniform(_state(u), (3, 4)))
    np.testing.assert_array_equal(gz, 10.0 + 0.5 * philox.normal(_state(z), (2, 3)))
    assert srng.uniform().ndim == 0 and srng.uniform(low=np.zeros(3)).ndim == 1
    with pytest.raises(ValueError, match="do not broadcast"):
        f(np.arange(5.0), av, 0.5)


def test_dtypes():
    srng = RandomStreams(seed=7)
    assert srng.uniform((2,)).dtype == "float64"
    assert srng.uniform((2,), dtype="float32").dtype == "float32"
    assert srng.normal((2,), avg=T.fvector()).dtype == "float64"  # upcast with floatX
    assert srng.binomial((2,)).dtype == "int64"
    assert srng.binomial((2,), p=0.5, dtype="float32").dtype == "float32"
    assert srng.random_integers((2,), 0, 5, dtype="int8").dtype == "int8"
    u32 = srng.uniform((1000,), dtype="float32", low=-1, high=1)
    values = function([], u32, backend="numpy")()
    assert values.dtype == np.float32 and values.min() >= -1 and values.max() < 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_dropout_mask(backend):
    srng = RandomStreams(seed=8)
    x = T.dmatrix("x")
    mask = srng.binomial(x.shape, p=0.8)
    f = function([x], x * mask, backend=backend)
    xv = np.arange(1.0, 2001.0).reshape(40, 50)
    before = _state(mask)
    out = f(xv)
    np.testing.assert_array_equal(out, xv * philox.bernoulli(before, 0.8, (40, 50)))
    assert 0.75 < np.mean(out != 0) < 0.85
    assert not np.array_equal(f(xv), out)


def test_bernoulli_is_a_uniform_value_below_p():
    srng = RandomStreams(seed=9)
    p = T.dvector("p")
    b = srng.binomial((6, 5), p=p, dtype="bool")
    f = function([p], b, backend="numpy", no_default_updates=True)
    pv = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    u = philox.uniform(_state(b), (6, 5))
    np.testing.assert_array_equal(f(pv), u < pv)


@pytest.mark.parametrize("backend", BACKENDS)
def test_binomial_with_several_trials_sums_bernoulli_draws(backend):
    srng = RandomStreams(seed=10)
    k = srng.binomial((1000,), n=5, p=0.3)
    m = T.lscalar("m")
    k_sym = srng.binomial((4,), n=m, p=0.5)
    f = function([m], [k, k_sym], backend=backend, no_default_updates=True)
    got, got_sym = f(3)
    trials = philox.bernoulli(_state(k), 0.3, (5, 1000))
    np.testing.assert_array_equal(got, trials.sum(axis=0))
    assert abs(got.mean() - 1.5) < 0.15
    np.testing.assert_array_equal(got_sym, philox.bernoulli(_state(k_sym), 0.5, (3, 4)).sum(0))
    np.testing.assert_array_equal(f(0)[1], np.zeros(4))


@pytest.mark.parametrize("backend", BACKENDS)
def test_random_integers_include_both_bounds(backend):
    srng = RandomStreams(seed=11)
    low, high = T.lvector("low"), T.lscalar("high")
    k = srng.random_integers((2000, 3), low=low, high=high)
    f = function([low, high], k, backend=backend, no_default_updates=True)
    got = f(np.array([0, 5, -3]), 5)
    np.testing.assert_array_equal(got, philox.integers(_state(k), [0, 5, -3], 5, (2000, 3)))
    assert set(np.unique(got[:, 0])) == set(range(6))
    assert set(np.unique(got[:, 1])) == {5}
    assert set(np.unique(got[:, 2])) == set(range(-3, 6))


def test_chi_square_of_random_integers_through_a_function():
    srng = RandomStreams(seed=12)
    k = function([], srng.random_integers((100_000,), 1, 6), backend="numpy")()
    counts = np.bincount(k, minlength=7)[1:]
    assert np.sum((counts - 100_000 / 6) ** 2 / (100_000 / 6)) < 20.5  # 99.9%, 5 dof


# --- gradients ----------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_gradient_through_the_parameters_at_a_fixed_state(backend):
    srng = RandomStreams(seed=13)
    avg, std = T.dscalar("avg"), T.dscalar("std")
    low, high = T.dscalar("low"), T.dscalar("high")
    z = srng.normal((7,), avg=avg, std=std)
    u = srng.uniform((7,), low=low, high=high)
    cost = T.sum(T.sin(z) * z) + T.sum(u ** 2)
    grads = grad(cost, [avg, std, low, high])
    f = function([avg, std, low, high], cost, backend=backend, no_default_updates=True)
    g = function([avg, std, low, high], grads, backend=backend, no_default_updates=True)
    point, eps = np.array([0.3, 1.7, -1.0, 2.0]), 1e-6
    symbolic = g(*point)
    for i in range(4):
        step = np.eye(4)[i] * eps
        numeric = (f(*(point + step)) - f(*(point - step))) / (2 * eps)
        np.testing.assert_allclose(symbolic[i], numeric, rtol=1e-6, atol=1e-8)
    zv = philox.normal(_state(z), (7,))
    np.testing.assert_allclose(symbolic[1], np.sum((np.cos(0.3 + 1.7 * zv) * (0.3 + 1.7 * zv)
                                                    + np.sin(0.3 + 1.7 * zv)) * zv), rtol=1e-12)


def test_no_gradient_through_a_draw():
    srng = RandomStreams(seed=14)
    p = T.dscalar("p")
    b = srng.binomial((3,), p=p, dtype="float64")
    with pytest.raises(DisconnectedInputError, match=r"depends on wrt\[0\] \(p\) only through"):
        grad(T.sum(b), p)
    assert RandomDraw("uniform", "float64", 0).grad([None], [None], [None]) == [None]


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed, error, match", [
    (1.5, TypeError, "seed must be an int; got float"), ("7", TypeError, "got str"),
    (True, TypeError, "got bool"), (-1, ValueError, r"\[0, 2\*\*64\)"),
    (2 ** 64, ValueError, "got 18446744073709551616")])
def test_bad_seeds(seed, error, match):
    with pytest.raises(error, match=match):
        RandomStreams(seed)
    with pytest.raises(error, match=match):
        RandomStreams(1).seed(seed)


@pytest.mark.parametrize("make, error, match", [
    (lambda s: s.uniform((2, -1)), ValueError, "uniform: the size must not have negative"),
    (lambda s: s.uniform((2.5, 3)), TypeError, "uniform: length 0 of the size must be an integer"),
    (lambda s: s.normal((True,)), TypeError, "length 0 of the size must be an integer; got bool"),
    (lambda s: s.normal(T.dvector()), TypeError, "normal: size must be a tuple of integers"),
    (lambda s: s.uniform((T.dscalar(),)), TypeError, "length 0 of the size must be an integer sc"),
    (lambda s: s.uniform(T.lvector()), TypeError, "unknown length; give ndim"),
    (lambda s: s.uniform((2, 3), ndim=3), ValueError, "ndim=3 but the size has 2"),
    (lambda s: s.uniform((2,), low=np.zeros((2, 2))), ValueError, "low has 2 dimension"),
    (lambda s: s.uniform((2,), dtype="int32"), TypeError, "dtype must be float32 or float64"),
    (lambda s: s.normal((2,), std=-1.0), ValueError, "std must not be negative"),
    (lambda s: s.binomial((2,), p=1.5), ValueError, r"p must be in \[0, 1\]"),
    (lambda s: s.binomial((2,), p=[0.5, -0.1]), ValueError, r"p must be in \[0, 1\]"),
    (lambda s: s.binomial((2,), n=-1), ValueError, "n must not be negative"),
    (lambda s: s.binomial((2,), n=1.5), TypeError, "n must be an integer"),
    (lambda s: s.random_integers((2,), 5, 4), ValueError, "high must not be below low"),
    (lambda s: s.random_integers((2,), 0.5, 4), TypeError, "low must be an integer"),
    (lambda s: s.random_integers((2,), 0, 4, dtype="float64"), TypeError, "integer dtype"),
])
def test_bad_arguments_are_refused_when_building(make, error, match):
    with pytest.raises(error, match=match):
        make(RandomStreams(seed=0))


@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_values_are_refused_when_running_and_the_state_is_kept(backend):
    srng = RandomStreams(seed=15)
    p, n = T.dvector("p"), T.lscalar("n")
    low, high = T.lscalar("low"), T.lvector("high")
    b = srng.binomial((2, 3), p=p)
    k = srng.random_integers((2, 3), low=low, high=high)
    u = srng.uniform((n, 2))
    f = function([p, low, high, n], [b, k, u], backend=backend)
    good = (np.array([0.1, 0.5, 1.0]), 0, np.array([1, 2, 3]), 2)
    f(*good)
    states = [s.get_value() for s, _ in srng.state_updates]
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\]; got p = 1.5 at index \(0, 1\)"):
        f(np.array([0.1, 1.5, 0.2]), *good[1:])
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\]; got p = nan at index \(0, 2\)"):
        f(np.array([0.1, 0.5, np.nan]), *good[1:])
    with pytest.raises(ValueError, match=r"high must not be below low; got low = 2, high = 1 at "
                                         r"index \(0, 0\)"):
        f(good[0], 2, *good[2:])
    with pytest.raises(ValueError, match=r"negative length in the size \(-1, 2\)"):
        f(*good[:3], -1)
    for (s, _), before in zip(srng.state_updates, states):
        np.testing.assert_array_equal(s.get_value(), before)
    with pytest.raises(ValueError, match="does not broadcast"):
        f(np.array([0.1, 0.5]), *good[1:])


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_state_of_the_wrong_shape_is_refused(backend):
    srng = RandomStreams(seed=16)
    u = srng.uniform((2,))
    f = function([], u, backend=backend)
    u.rng.set_value(np.zeros(3, dtype=np.uint64))
    with pytest.raises(ValueError, match=r"random state must hold 2 values"):
        f()


def test_random_draw_checks_its_inputs():
    state = shared(np.zeros(2, dtype=np.uint64))
    with pytest.raises(TypeError, match="random state must be"):
        RandomDraw("uniform", "float64", 0)(T.dvector())
    with pytest.raises(TypeError, match="1 parameter"):
        RandomDraw("bernoulli", "int64", 1)(state, 3)
    with pytest.raises(TypeError, match="p must be a float32 or float64 tensor of 1"):
        RandomDraw("bernoulli", "int64", 1)(state, T.lvector(), 3)
    with pytest.raises(TypeError, match="low must be int64"):
        RandomDraw("integers", "int64", 0)(state, T.iscalar(), T.lscalar())
    with pytest.raises(TypeError, match="cannot have dtype"):
        RandomDraw("normal", "int64", 0)
    with pytest.raises(ValueError, match="unknown kind"):
        RandomDraw("gamma", "float64", 0)
    assert str(RandomDraw("normal", "float32", 2)) == "RandomDraw{normal, float32}"


def test_theano_import_paths():
    from graphlab_kernel.tensor.random import RandomStream
    from graphlab_kernel.tensor.shared_randomstreams import RandomStreams as Theano
    assert Theano is RandomStreams is RandomStream is T.shared_randomstreams.RandomStreams
