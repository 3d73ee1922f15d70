"""function and shared: outputs, updates written together after a successful call, givens, and
shared variables' values (copies, borrowing, type-checked assignment)."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel.tensor as T
import graphlab_kernel as G
from graphlab_kernel import function, shared


def test_scalar_output_is_a_zero_d_array():
    x, y = T.dscalars("x", "y")
    out = function([x, y], x + y)(2, 3)
    assert isinstance(out, np.ndarray) and out.shape == () and out.dtype == np.float64
    assert repr(out) == "array(5.)"


def test_several_outputs_and_a_named_function():
    x = T.dvector("x")
    f = function([x], [x * 2, T.sum(x)], name="twice_and_sum")
    doubled, total = f([1.0, 2.0])
    np.testing.assert_array_equal(doubled, [2.0, 4.0])
    assert total == 3.0
    assert f.name == "twice_and_sum"


def test_outputs_are_owned_by_the_caller():
    x = T.dvector("x")
    f = function([x], [x, x * 1.0])
    value = np.array([1.0, 2.0])
    same, _scaled = f(value)
    same[0] = 99.0
    assert value[0] == 1.0


@pytest.mark.parametrize("value, dtype, ndim", [(0, "int64", 0), (0.0, "float64", 0),
                                                (True, "bool", 0), ([1, 2], "int64", 1),
                                                (np.zeros((2, 3), "float32"), "float32", 2)])
def test_shared_infers_its_type(value, dtype, ndim):
    s = shared(value)
    assert s.dtype == dtype and s.ndim == ndim and s.broadcastable == (False,) * ndim


def test_shared_zero_is_an_int64_scalar():
    assert shared(0).type is T.lscalar


def test_get_value_copies_unless_borrowed():
    data = np.array([1.0, 2.0])
    s = shared(data, name="s")
    data[0] = 50.0
    assert s.get_value()[0] == 1.0  # shared() copied its value
    copy = s.get_value()
    copy[1] = 99.0
    assert s.get_value()[1] == 2.0
    borrowed = s.get_value(borrow=True)
    assert borrowed is s.get_value(borrow=True)
    b = shared(data, borrow=True)
    assert b.get_value(borrow=True) is data
    fresh = np.array([3.0, 4.0])
    b.set_value(fresh, borrow=True)
    assert b.get_value(borrow=True) is fresh
    b.set_value(fresh)
    assert b.get_value(borrow=True) is not fresh
    b.set_value([5, 6], borrow=True)  # converted: a new array all the same
    np.testing.assert_array_equal(b.get_value(), [5.0, 6.0])


def test_set_value_is_type_checked():
    s = shared(np.zeros(3), name="weights")
    s.set_value([1, 2, 3])
    np.testing.assert_array_equal(s.get_value(), [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match=r"new value of shared variable weights must be "
                                        r"TensorType\(float64, vector\), a 1-d array; got a 2-d"):
        s.set_value(np.zeros((2, 2)))
    counter = shared(0, name="counter")
    with pytest.raises(TypeError, match="float64 cannot be cast to int64 without loss"):
        counter.set_value(0.5)
    with pytest.raises(TypeError, match="got str"):
        counter.set_value("1")
    counter.set_value(7.0)  # exact: accepted
    assert counter.get_value() == 7 and counter.get_value().dtype == np.int64


def test_shared_refuses_non_numeric_values():
    with pytest.raises(TypeError, match="shared needs a number or an array; got str"):
        shared("abc")
    with pytest.raises(TypeError, match="shared needs a value, not the symbolic variable x"):
        shared(T.dscalar("x"))


def test_updates_use_the_values_before_the_call_and_are_written_together():
    a = shared(1.0, name="a")
    b = shared(10.0, name="b")
    swap = function([], [a, b], updates=[(a, b), (b, a)])
    assert [float(v) for v in swap()] == [1.0, 10.0]
    assert (a.get_value(), b.get_value()) == (10.0, 1.0)
    step = function([], a, updates={a: a + b})
    step()
    assert a.get_value() == 11.0


def test_a_failing_call_changes_no_shared_value():
    total = shared(np.zeros(2), name="total")
    count = shared(0, name="count")
    x = T.dvector("x")
    f = function([x], total + x, updates=[(count, count + 1), (total, total + x)])
    f([1.0, 2.0])
    with pytest.raises(ValueError, match="do not broadcast"):
        f([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(total.get_value(), [1.0, 2.0])
    assert count.get_value() == 1
    with pytest.raises(TypeError):
        f("oops")
    assert count.get_value() == 1


def test_several_functions_update_one_shared_variable():
    state = shared(0, name="state")
    inc = T.iscalar("inc")
    up = function([inc], state, updates=[(state, state + inc)])
    down = function([inc], state, updates=[(state, state - inc)])
    up(5)
    down(2)
    up(10)
    assert state.get_value() == 13
    state.set_value(-1)
    assert int(up(1)) == -1 and state.get_value() == 0


def test_update_with_a_python_number_and_a_broadcastable_value():
    flag = shared(np.float32(0.0), name="flag")
    function([], [], updates=[(flag, 1.5)])()
    assert flag.get_value() == np.float32(1.5) and flag.get_value().dtype == np.float32


def test_givens_substitute_variables():
    x, y = T.dscalars("x", "y")
    w = shared(3.0, name="w")
    z = x * w
    f = function([y], z, givens=[(x, y + 1)])
    assert f(1.0) == 6.0
    g = function([x], z, givens={w: T.constant(10.0)})
    assert g(2.0) == 20.0


def test_shared_variable_cannot_be_an_explicit_input():
    w = shared(1.0, name="w")
    with pytest.raises(TypeError, match=r"input 0 \(w\) is a shared variable"):
        function([w], w * 2)


def test_theanos_linker_names_choose_the_backend():
    x = T.dvector("x")
    assert G.function([x], x * 2, mode=G.Mode(linker="py")).backend == "numpy"
    assert G.function([x], x * 2, mode=G.Mode(linker="c")).backend == "c"
    assert G.function([x], x * 2, mode=G.Mode(linker="vm")).backend == "c"
    with pytest.raises(ValueError, match="unknown linker 'fast'; expected one of py, c"):
        G.Mode(linker="fast")
    with pytest.raises(ValueError, match="backend='c' and linker='py'; give one"):
        G.Mode(backend="c", linker="py")


@pytest.mark.parametrize("backend", ["c", "numpy"])
def test_copy_swaps_shared_variables_or_drops_updates(backend):
    """The Theano tutorial's accumulator: a copy may read and update another shared variable,
    or leave its updates out."""
    state = G.shared(0, name="state")
    inc = T.iscalar("inc")
    acc = G.function([inc], state, updates=[(state, state + inc)], backend=backend, name="acc")
    acc(10)
    other = G.shared(5, name="other")
    swapped = acc.copy(swap={state: other})
    assert swapped.backend == backend and swapped.name == "acc"
    assert swapped(100) == 5  # it returns the other's value before the update
    assert (other.get_value(), state.get_value()) == (105, 10)
    frozen = acc.copy(delete_updates=True, name="peek")
    assert frozen(9000) == 10 and state.get_value() == 10 and frozen.name == "peek"
    acc(1)
    assert state.get_value() == 11 and other.get_value() == 105


def test_copy_keeps_defaults_and_refuses_bad_swaps():
    x, y = T.dscalar("x"), T.dscalar("y")
    w = G.shared(2.0, name="w")
    f = G.function([x, G.In(y, value=1.0)], x * w + y)
    g = f.copy(swap={w: G.shared(10.0)})
    assert g(3.0) == 31.0 and g(3.0, y=0.0) == 30.0 and f(3.0) == 7.0
    with pytest.raises(ValueError, match="not a shared variable of the function.*its shared "
                                         "variables: w"):
        f.copy(swap={G.shared(1.0): G.shared(1.0)})
    with pytest.raises(TypeError, match=r"w \(TensorType\(float64, scalar\)\) can only be "
                                        r"swapped for a shared variable of the same type"):
        f.copy(swap={w: G.shared(np.zeros(2))})


def test_a_copy_without_updates_leaves_a_random_state_alone():
    from graphlab_kernel.tensor.shared_randomstreams import RandomStreams
    draw = RandomStreams(seed=7).uniform((3,))
    f = G.function([], draw)
    first = f()
    frozen = f.copy(delete_updates=True)
    np.testing.assert_array_equal(frozen(), frozen())  # the state does not advance
    assert not np.array_equal(f(), first)
