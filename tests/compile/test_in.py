"""In: default values and keyword arguments for a function's inputs, as in Theano's tutorial."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel as G
import graphlab_kernel.tensor as T
from graphlab_kernel import In, function


@pytest.mark.parametrize("backend", ["c", "numpy"])
def test_the_tutorials_defaults_and_keywords(backend):
    x, y, w = T.dscalars("x", "y", "w")
    f = function([x, In(y, value=1), In(w, value=2, name="w_by_name")], (x + y) * w,
                 backend=backend)
    assert f(33) == 68.0
    assert f(33, 2) == 70.0
    assert f(33, 0, 1) == 33.0
    assert f(33, w_by_name=1) == 34.0
    assert f(33, w_by_name=1, y=0) == 33.0
    assert f(x=33) == 68.0  # a plain input goes by its variable's name too
    assert isinstance(f(33), np.ndarray) and f(33).dtype == np.float64


def test_defaults_take_the_fast_call_and_are_of_the_inputs_type():
    x, v = T.dscalar("x"), T.dvector("v")
    f = function([v, In(x, value=3)], v * x, backend="c")
    calls = []
    general = f._run
    f._run = lambda values: calls.append(1) or general(values)
    data = np.arange(3.0)
    f(data)  # learns the output's shape
    for _ in range(3):
        np.testing.assert_array_equal(f(data), data * 3)
        np.testing.assert_array_equal(f(data, x=0.5), data * 0.5)
    assert len(calls) == 1
    with pytest.raises(TypeError, match=r"the default value of input 1 \(x\) must be a numeric "
                                        r"value for TensorType\(float64, scalar\); got str"):
        function([v, In(x, value="3")], v * x)


def test_wrong_calls_say_what_is_wrong():
    x, y, w = T.dscalars("x", "y", "w")
    f = function([x, In(y, value=1.0), w], x + y + w)
    with pytest.raises(TypeError, match=r"missing a value for argument 2 \(w\), which has no "
                                        "default"):
        f(1.0)
    with pytest.raises(TypeError, match="unexpected keyword argument 'q' .*names: x, y, w"):
        f(1.0, q=2.0)
    with pytest.raises(TypeError, match="got two values for input 'y'"):
        f(1.0, 2.0, y=3.0, w=1.0)
    with pytest.raises(TypeError, match=r"takes 3 argument\(s\) \(x, y, w\); got 4"):
        f(1.0, 2.0, 3.0, 4.0)
    assert f(1.0, w=5.0) == 7.0
    a1, a2 = T.dscalar("a"), T.dscalar("a")
    twins = function([a1, a2], a1 - a2)
    with pytest.raises(TypeError, match="several inputs named 'a'; pass them by position"):
        twins(a=1.0)
    assert twins(1.0, 3.0) == -2.0


def test_a_default_with_shared_updates_changes_state_once_per_call():
    step = T.dscalar("step")
    count = G.shared(0.0, name="count")
    tick = function([In(step, value=1.0)], count, updates=[(count, count + step)])
    tick()
    tick()
    tick(step=10.0)
    assert count.get_value() == 12.0
