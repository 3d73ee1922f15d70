"""The NumPy random generator (tensor/philox.py): Random123's known answers, agreement with an
element-by-element reference in Python ints, the layout of words, and statistics."""

from __future__ import annotations

import math

import numpy as np
import pytest

import philox_reference as ref
from graphlab_kernel.tensor import philox

# Random123's kat_vectors, philox4x32 10: counter, key, output.
KNOWN_ANSWERS = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]
STATES = [np.array([0, 0], dtype=np.uint64), np.array([2 ** 64 - 1, 2 ** 40 + 3], dtype=np.uint64),
          philox.initial_state(1234, 5)]


@pytest.mark.parametrize("counter, key, expected", KNOWN_ANSWERS)
def test_known_answers(counter, key, expected):
    assert tuple(int(x) for x in philox.philox4x32(counter, key)) == expected
    assert ref.philox(counter, key) == expected


def test_vectorized_philox_matches_the_scalar_reference_on_random_counters():
    rng = np.random.default_rng(0)
    counters = rng.integers(0, 2 ** 32, size=(4, 50), dtype=np.uint64)
    key = tuple(int(k) for k in rng.integers(0, 2 ** 32, size=2))
    got = np.stack(philox.philox4x32(tuple(counters), key))
    for j in range(50):
        assert tuple(int(x) for x in got[:, j]) == ref.philox(tuple(int(c) for c in counters[:, j]),
                                                              key)


@pytest.mark.parametrize("state", STATES)
def test_element_i_owns_word_i_and_1_of_block_i_over_2(state):
    words = philox.element_words(state, 7)
    assert [int(w) for w in words] == [ref.word(state, i) for i in range(7)]
    # the first 5 of 7 are the 5 of a shorter draw: an element's bits do not depend on the size
    np.testing.assert_array_equal(philox.element_words(state, 5), words[:5])


@pytest.mark.parametrize("state", STATES)
def test_distributions_match_the_reference(state):
    np.testing.assert_array_equal(philox.uniform(state, (9,)), ref.uniform(state, 9))
    np.testing.assert_array_equal(philox.uniform(state, (9,), "float32"),
                                  ref.uniform(state, 9, "float32"))
    np.testing.assert_allclose(philox.normal(state, (9,)), ref.normal(state, 9), rtol=1e-15,
                               atol=1e-15)
    p = np.linspace(0, 1, 9)
    np.testing.assert_array_equal(philox.bernoulli(state, p, (9,)), ref.bernoulli(state, p, 9))
    low = np.array([-5, 0, 7, -2 ** 63, 3, -1, 0, 10 ** 18, -9])
    high = np.array([5, 0, 8, 2 ** 63 - 1, 1000, 2 ** 62, 2 ** 63 - 1, 2 ** 62 + 10 ** 18, -9])
    np.testing.assert_array_equal(philox.integers(state, low, high, (9,)),
                                  ref.integers(state, low, high, 9))


def test_integers_retry_rejected_words_as_the_reference_does():
    # 2**63 + 1 values: about half the candidates are rejected, many twice or more
    low, high = np.int64(-2 ** 62), np.int64(2 ** 62)
    state = philox.initial_state(99, 0)
    words = philox.element_words(state, 200)
    threshold = (2 ** 64) % (2 ** 63 + 1)
    rejected = sum((int(w) * (2 ** 63 + 1)) % 2 ** 64 < threshold for w in words)
    assert rejected > 50
    np.testing.assert_array_equal(philox.integers(state, low, high, (200,)),
                                  ref.integers(state, low, high, 200))


def test_unit_values_stay_below_one():
    top = np.array([2 ** 64 - 1], dtype=np.uint64)
    assert philox.to_unit(top)[0] == 1 - 2.0 ** -53
    assert philox.to_unit(top, "float32")[0] == np.float32(1 - 2.0 ** -24)
    assert philox.to_unit(np.array([0], dtype=np.uint64))[0] == 0.0


def test_box_muller_at_the_extreme_words():
    words = np.array([0, 2 ** 11, 2 ** 64 - 1, 2 ** 63], dtype=np.uint64)
    z0, z1 = philox.box_muller(words, np.zeros(4, dtype=np.uint64))
    largest = math.sqrt(-2 * math.log(2.0 ** -53))  # u1 = 2**-53, the smallest
    assert z0[0] == largest and z1[0] == 0.0
    assert z0[1] == math.sqrt(-2 * math.log(2.0 ** -52))
    assert z0[2] == 0.0 and z1[2] == 0.0  # u1 = 1: r = 0, never log(0)
    assert z0[3] == math.sqrt(-2 * math.log(0.5 + 2.0 ** -53))
    z0, z1 = philox.box_muller(np.full(3, 0, dtype=np.uint64),
                               np.array([2 ** 62, 2 ** 63, 2 ** 64 - 1], dtype=np.uint64))
    np.testing.assert_allclose(z0, largest * np.cos(np.array([0.5, 1, 2 - 2.0 ** -52]) * np.pi),
                               rtol=0, atol=1e-14)
    assert np.all(np.isfinite(z0)) and np.all(np.isfinite(z1))


def test_a_state_with_another_draw_count_gives_other_values():
    a, b = philox.initial_state(1, 0), philox.initial_state(1, 0)
    b[1] = 1
    assert not np.any(philox.uniform(a, (100,)) == philox.uniform(b, (100,)))


def test_streams_of_one_seed_have_distinct_keys():
    keys = {int(philox.initial_state(2024, j)[0]) for j in range(10000)}
    assert len(keys) == 10000
    assert philox.initial_state(1, 0)[0] != philox.initial_state(2, 0)[0]
    assert int(philox.initial_state(1, 0)[1]) == 0


# --- statistics, with fixed seeds: each bound is several standard errors wide -------------------

N = 100_000


def test_uniform_mean_variance_and_range():
    u = philox.uniform(philox.initial_state(11, 0), (N,))
    assert 0 <= u.min() and u.max() < 1
    assert abs(u.mean() - 0.5) < 5 * math.sqrt(1 / 12 / N)
    assert abs(u.var() - 1 / 12) < 0.002
    counts = np.bincount((u * 20).astype(int), minlength=20)
    chi2 = np.sum((counts - N / 20) ** 2 / (N / 20))
    assert chi2 < 43.8  # 99.9th percentile of chi-square with 19 degrees of freedom


def test_normal_mean_variance_and_tails():
    z = philox.normal(philox.initial_state(12, 0), (N,))
    assert abs(z.mean()) < 5 / math.sqrt(N)
    assert abs(z.var() - 1) < 5 * math.sqrt(2 / N)
    assert abs(np.mean(np.abs(z) > 1.959964) - 0.05) < 0.004
    # even (cosine) and odd (sine) elements alike, and uncorrelated
    assert abs(z[0::2].var() - z[1::2].var()) < 0.03
    assert abs(np.corrcoef(z[0::2], z[1::2])[0, 1]) < 0.02


def test_bernoulli_frequency():
    b = philox.bernoulli(philox.initial_state(13, 0), 0.8, (N,))
    assert set(np.unique(b)) == {0, 1}
    assert abs(b.mean() - 0.8) < 5 * math.sqrt(0.8 * 0.2 / N)
    assert not philox.bernoulli(philox.initial_state(13, 0), 0.0, (N,)).any()
    assert philox.bernoulli(philox.initial_state(13, 0), 1.0, (N,)).all()


@pytest.mark.parametrize("low, high", [(0, 6), (-3, 3), (10, 2 ** 62 + 10)])
def test_integers_are_uniform(low, high):
    k = philox.integers(philox.initial_state(14, 0), low, high, (N,))
    assert k.min() >= low and k.max() <= high
    bins = 7
    cells = ((k - low).astype(np.float64) / (high - low + 1) * bins).astype(int)
    counts = np.bincount(cells, minlength=bins)
    chi2 = np.sum((counts - N / bins) ** 2 / (N / bins))
    assert chi2 < 22.5  # 99.9th percentile of chi-square with 6 degrees of freedom


def test_integers_without_modulo_bias():
    # 3 * 2**62 values: `word % span` would give the lower third of them twice as often (0.5 of
    # the draws below 2**62 instead of a third)
    low = -2 ** 63
    k = philox.integers(philox.initial_state(15, 0), low, low + 3 * 2 ** 62 - 1, (N,))
    assert abs(np.mean(k < low + 2 ** 62) - 1 / 3) < 0.01
