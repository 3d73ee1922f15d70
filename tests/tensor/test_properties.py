"""Property tests against NumPy: slicing with arbitrary bounds and steps, and broadcasting."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import graphlab_kernel.tensor as T
from graphlab_kernel import function

bounds = st.one_of(st.none(), st.integers(-7, 7))
steps = st.one_of(st.none(), st.integers(-3, 3).filter(lambda s: s != 0))
slices = st.builds(slice, bounds, bounds, steps)


@settings(max_examples=30, deadline=None)
@given(first=slices, second=st.one_of(slices, st.integers(-4, 3)))
def test_slicing_matches_numpy(first, second):
    value = np.arange(30.0).reshape(6, 5) if isinstance(second, slice) else \
        np.arange(24.0).reshape(6, 4)
    x = T.dmatrix("x")
    out = function([x], x[first, second], backend="numpy")(value)
    np.testing.assert_array_equal(out, value[first, second])


@settings(max_examples=20, deadline=None)
@given(first=slices, offset=st.floats(-3, 3))
def test_inc_subtensor_matches_numpy(first, offset):
    value = np.arange(6.0)
    x = T.dvector("x")
    out = function([x], T.inc_subtensor(x[first], offset), backend="numpy")(value)
    expected = value.copy()
    expected[first] += offset
    np.testing.assert_array_equal(out, expected)


shapes = st.lists(st.integers(1, 3), min_size=0, max_size=3)


@settings(max_examples=25, deadline=None)
@given(shape=shapes, mask=st.lists(st.booleans(), min_size=3, max_size=3),
       drop=st.integers(0, 3))
def test_broadcasting_matches_numpy(shape, mask, drop):
    """A tensor against a version of its shape with some axes 1 and some leading axes dropped."""
    other = [1 if m else s for s, m in zip(shape, mask)][min(drop, len(shape)):]
    a = np.random.default_rng(0).standard_normal(shape)
    b = np.random.default_rng(1).standard_normal(other)
    x = T.tensor("float64", (False,) * len(shape), "x")
    y = T.tensor("float64", tuple(s == 1 for s in other), "y")
    f = function([x, y], [x * y, T.maximum(x, y)], backend="numpy")
    product, largest = f(a, b)
    np.testing.assert_array_equal(product, a * b)
    np.testing.assert_array_equal(largest, np.maximum(a, b))
