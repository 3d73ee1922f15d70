"""Slices whose start, stop and step are symbolic integers, in every combination, against NumPy's
own slicing, on both backends (the C backend once read the step from the start's variable)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import graphlab_kernel as G
import graphlab_kernel.tensor as T

VALUES = range(-8, 9)  # around a length of 6: negative, out of range, and in between
STEPS = (-3, -2, -1, 1, 2, 3)
PATTERNS = [p for p in itertools.product((False, True), repeat=3) if any(p)]  # symbolic parts


def _slice_of(pattern, a, b, c):
    start, stop, step = (v if symbolic else None for symbolic, v in zip(pattern, (a, b, c)))
    return slice(start, stop, step)


@pytest.mark.parametrize("backend", ["c", "numpy"])
@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: "".join("SEP"[i] if s else "_"
                                                                    for i, s in enumerate(p)))
def test_symbolic_slices_read_and_write_what_numpy_does(backend, pattern):
    v, a, b, c = T.dvector("v"), T.lscalar("a"), T.lscalar("b"), T.lscalar("c")
    symbolic = _slice_of(pattern, a, b, c)
    read = G.function([v, a, b, c], v[symbolic], backend=backend, on_unused_input="ignore")
    add = G.function([v, a, b, c], T.inc_subtensor(v[symbolic], 10.0), backend=backend,
                     on_unused_input="ignore")
    assert read.backend == add.backend == backend
    data = np.arange(6.0)
    starts = VALUES if pattern[0] else (0,)
    stops = VALUES if pattern[1] else (0,)
    for start, stop, step in itertools.product(starts, stops, STEPS if pattern[2] else (1,)):
        index = _slice_of(pattern, start, stop, step)
        np.testing.assert_array_equal(read(data, start, stop, step), data[index],
                                      err_msg=str(index))
        expected = data.copy()
        expected[index] += 10.0
        np.testing.assert_array_equal(add(data, start, stop, step), expected, err_msg=str(index))


@pytest.mark.parametrize("backend", ["c", "numpy"])
def test_the_gradient_through_a_symbolic_slice_lands_on_the_sliced_elements(backend):
    v, w = T.dvector("v"), T.dvector("w")
    a, b, c = T.lscalars("a", "b", "c")
    gradient = G.function([v, w, a, b, c], T.grad((v[a:b:c] * w).sum(), v), backend=backend)
    data = np.arange(6.0)
    for start, stop, step in [(4, 0, -1), (1, 6, 2), (-1, -7, -2), (0, 6, 3)]:
        index = slice(start, stop, step)
        weights = np.arange(1.0, 1.0 + len(data[index]))
        expected = np.zeros(6)
        expected[index] = weights
        np.testing.assert_array_equal(gradient(data, weights, start, stop, step), expected)


def test_a_zero_step_is_an_error_on_both_backends():
    v, c = T.dvector("v"), T.lscalar("c")
    for backend in ("c", "numpy"):
        f = G.function([v, c], v[1:5:c], backend=backend)
        with pytest.raises(ValueError, match="step cannot be zero"):
            f(np.arange(6.0), 0)


@pytest.mark.parametrize("backend", ["c", "numpy"])
def test_uint64_indices_above_int64_max_are_past_the_end(backend):
    """A uint64 index, slice bound or step above 2**63 - 1 means what the Python int means: past
    the end of the axis (the C backend once read it as an int64, so 2**64 - 1 was -1)."""
    v, i = T.dvector("v"), T.scalar("i", dtype="uint64")
    shape = T.vector("shape", dtype="uint64")
    data = np.arange(6.0)
    f = G.function([v, i], [v[i:], v[:i], v[::i], v[1:-1:i], v[::-1][:i]], backend=backend)
    get = G.function([v, i], v[i], backend=backend)
    reshape = G.function([v, shape], v.reshape(shape, ndim=2), backend=backend)
    assert f.backend == get.backend == reshape.backend == backend
    for value in (2**63, 2**64 - 2, 2**64 - 1):
        index = np.uint64(value)
        got = f(data, index)
        for result, expected in zip(got, [data[value:], data[:value], data[::value],
                                          data[1:-1:value], data[::-1][:value]]):
            np.testing.assert_array_equal(result, expected, err_msg=str(value))
        with pytest.raises(IndexError, match=f"index {value} is out of range"):
            get(data, index)
        with pytest.raises(ValueError, match="Reshape"):
            reshape(data, np.array([value, 6], dtype="uint64"))
    np.testing.assert_array_equal(get(data, np.uint64(5)), 5.0)


def test_index_and_shape_arithmetic_on_integer_inputs_compiles_to_c():
    """x[i + 1], x[-i], x.reshape((n, -1)), alloc(v, n + 1, 2): integers computed from integer
    inputs, as from shapes and constants, are known with the shapes; such graphs once ran whole
    on NumPy, silently."""
    x, i, n = T.dvector("x"), T.lscalar("i"), T.iscalar("n")
    outs = [x[i + 1], x[-i], x[:i * 2], T.set_subtensor(x[i + 1:], 5.0), x.reshape((n, -1)),
            T.alloc(x[0], n + 1, 2)]
    f = G.function([x, i, n], outs, backend="c")
    reference = G.function([x, i, n], outs, backend="numpy")
    assert f.backend == "c"
    data = np.arange(6.0)
    for index, rows in [(0, 2), (2, 3), (-3, 6), (4, 1)]:
        for got, expected in zip(f(data, index, rows), reference(data, index, rows)):
            assert got.shape == expected.shape
            np.testing.assert_array_equal(got, expected)
    with pytest.raises(IndexError, match="index 6 is out of range"):
        f(data, 5, 2)
    with pytest.raises(ValueError, match="cannot reshape"):
        f(data, 0, 4)
