"""Advanced indexing when the graph is built: which op x[key] makes, the types it gives, the keys
it refuses (and what the message says), printing, and the gradient graph it builds. Values on
both backends are in tests/op_cases.py and tests/backend/test_advanced_indexing.py."""

from __future__ import annotations

import re

import numpy as np
import pytest

import graphlab_kernel.tensor as T
from graphlab_kernel import function, pp
from graphlab_kernel.tensor.advanced_subtensor import (AdvancedIncSubtensor,
                                                       AdvancedIncSubtensor1, AdvancedSubtensor,
                                                       AdvancedSubtensor1)
from graphlab_kernel.tensor.subtensor import IncSubtensor, Subtensor

x, m = T.dvector("x"), T.dmatrix("m")
t = T.tensor3("t")
iv, jv, k = T.lvector("iv"), T.ivector("jv"), T.lscalar("k")


@pytest.mark.parametrize("build,op,bcast", [
    (lambda: x[iv], AdvancedSubtensor1, (False,)),
    (lambda: m[iv], AdvancedSubtensor1, (False, False)),
    (lambda: m[[0, 2, 0]], AdvancedSubtensor1, (False, False)),
    (lambda: m[np.array([1], dtype="uint8")], AdvancedSubtensor1, (True, False)),
    (lambda: m[[]], AdvancedSubtensor1, (False, False)),
    (lambda: m[[k, 0]], AdvancedSubtensor1, (False, False)),  # a list of symbolic scalars
    (lambda: t[iv, ...], AdvancedSubtensor1, (False, False, False)),
    (lambda: T.drow("r")[iv], AdvancedSubtensor1, (False, False)),
    (lambda: T.dcol("c")[iv], AdvancedSubtensor1, (False, True)),
    (lambda: m[iv, jv], AdvancedSubtensor, (False,)),
    (lambda: m[iv, 0], AdvancedSubtensor, (False,)),
    (lambda: m[k, iv], AdvancedSubtensor, (False,)),
    (lambda: t[iv, jv, :], AdvancedSubtensor, (False, False)),
    (lambda: t[[1], [2]], AdvancedSubtensor, (True, False)),
])
def test_an_index_array_makes_an_advanced_op_of_numpys_rank(build, op, bcast):
    out = build()
    assert type(out.owner.op) is op
    assert out.broadcastable == bcast
    assert out.dtype == out.owner.inputs[0].dtype


def test_basic_indexing_is_unchanged():
    for out in (m[1], m[1:, ::2], m[k], m[..., 0], x[k:]):
        assert isinstance(out.owner.op, Subtensor)
    assert isinstance(T.inc_subtensor(m[1:], 1.0).owner.op, IncSubtensor)


def test_writers_follow_their_reads():
    y = T.dscalar("y")
    for read, op, kind in [(m[iv], AdvancedIncSubtensor1, False), (m[iv, jv], AdvancedIncSubtensor,
                                                                   False)]:
        added, written = T.inc_subtensor(read, y), T.set_subtensor(read, y)
        assert type(added.owner.op) is type(written.owner.op) is op
        assert added.owner.op.set_instead_of_inc is kind and written.owner.op.set_instead_of_inc
        assert added.owner.inputs[0] is m and added.owner.inputs[1] is y
        assert added.owner.inputs[2:] == read.owner.inputs[1:]
        assert added.type == m.type


@pytest.mark.parametrize("build,error,message", [
    (lambda: m[:, iv], NotImplementedError, "m[:, iv]: an index array after a slice, on axis 1"),
    (lambda: t[k, :, iv], NotImplementedError, "t[k, :, iv]: an index array after a slice, on "
                                               "axis 2"),
    (lambda: t[iv, :, jv], NotImplementedError, "t[iv, :, jv]: index arrays and integers apart "
                                                "(a slice between them), on axis 2"),
    (lambda: t[iv, :, 0], NotImplementedError, "index arrays and integers apart"),
    (lambda: m[iv, 1:], NotImplementedError, "m[iv, 1:]: a slice (1:) after the index arrays, on "
                                             "axis 1"),
    (lambda: m[[True, False]], NotImplementedError, "is a boolean mask"),
    (lambda: m[T.vector("b", dtype="bool")], NotImplementedError, "is a boolean mask"),
    (lambda: m[T.imatrix("im")], NotImplementedError, "is an index array of rank 2"),
    (lambda: m[[[0, 1]]], NotImplementedError, "is an index array of rank 2"),
    (lambda: m[T.dvector("f")], TypeError, "the index on axis 0 of m[f] must be an integer "
                                           "index; got f (TensorType(float64, vector))"),
    (lambda: m[np.array([1.0, 2.0])], TypeError, "must be an integer index"),
    (lambda: m[iv, 1.5], TypeError, "the index on axis 1 of m[iv, 1.5] must be an integer index"),
    (lambda: m[iv, jv, 0], IndexError, "too many indices for m"),
    (lambda: T.dscalar("s")[iv], IndexError, "too many indices for s"),
])
def test_unsupported_keys_raise_when_the_graph_is_built(build, error, message):
    with pytest.raises(error, match=re.escape(message)):
        build()


def test_supported_forms_are_named_in_the_message():
    with pytest.raises(NotImplementedError, match=re.escape(
            "supported: integer arrays on the first axes, next to each other, followed by full "
            "slices only (x[iv], m[iv, jv], t[iv, jv, :], m[iv, 0])")):
        m[:, iv]


def test_op_construction_checks_its_inputs():
    with pytest.raises(TypeError, match=r"AdvancedSubtensor1 takes one integer vector; got iv, jv"):
        T.advanced_subtensor1(m, iv, jv)
    with pytest.raises(TypeError, match="AdvancedSubtensor needs at least one index vector"):
        T.advanced_subtensor(m, k, 0)
    with pytest.raises(TypeError, match=re.escape(
            "AdvancedIncSubtensor1{no_inplace,inc}: the value y3 has 3 dimension(s); the region "
            "of m it is written into has only 2")):
        T.inc_subtensor(m[iv], T.tensor3("y3"))
    with pytest.raises(TypeError, match=re.escape(
            "AdvancedIncSubtensor{no_inplace,set}: cannot write d (float64) into i (int32) "
            "without loss")):
        T.set_subtensor(T.imatrix("i")[iv, jv], T.dscalar("d"))
    with pytest.raises(TypeError, match=r"set_subtensor expects an indexed tensor such as "
                                        r"x\[1:3\] or x\[iv\]"):
        T.set_subtensor(m * 2, 0.0)


def test_printing():
    y = T.dvector("y")
    assert pp(m[iv]) == "m[iv]"
    assert pp(m[[0, -1, 0]]) == "m[[0, -1, 0]]"
    assert pp(T.log(m)[iv, jv]) == "log(m)[iv, jv]"
    assert pp(m[iv, 0]) == "m[iv, 0]"
    assert pp(T.inc_subtensor(m[iv], y)) == "inc_subtensor(m[iv], y)"
    assert pp(T.set_subtensor(m[iv, jv], 0.0)) == "set_subtensor(m[iv, jv], TensorConstant{0.0})"
    assert str(m[iv].owner.op) == "AdvancedSubtensor1"
    assert str(m[iv, jv].owner.op) == "AdvancedSubtensor"
    assert str(T.inc_subtensor(m[iv], y).owner.op) == "AdvancedIncSubtensor1{no_inplace,inc}"
    assert str(T.set_subtensor(m[iv], y).owner.op) == "AdvancedIncSubtensor1{no_inplace,set}"
    assert str(T.inc_subtensor(m[iv, jv], 1.0).owner.op) == "AdvancedIncSubtensor{no_inplace,inc}"
    assert str(T.advanced_set_subtensor) == "AdvancedIncSubtensor{no_inplace,set}"


def test_ops_with_equal_properties_are_equal():
    assert T.advanced_subtensor1 == AdvancedSubtensor1()
    assert T.advanced_inc_subtensor1 == AdvancedIncSubtensor1()
    assert T.advanced_set_subtensor1 != T.advanced_inc_subtensor1
    assert hash(T.advanced_set_subtensor) == hash(AdvancedIncSubtensor(True))


def test_the_gradients_graphs():
    """d x[iv] is a scatter-add into zeros; inc passes gz to x and gz[iv] to y; set zeroes the
    positions it writes in gz for x; the indices get no gradient."""
    y = T.dmatrix("y")
    gx = T.grad(m[iv].sum(), m)
    assert isinstance(gx.owner.op, AdvancedIncSubtensor1)
    assert not gx.owner.op.set_instead_of_inc and gx.owner.inputs[2] is iv
    gm, gy = T.grad(T.set_subtensor(m[iv], y).sum(), [m, y])
    assert isinstance(gm.owner.op, AdvancedIncSubtensor1) and gm.owner.op.set_instead_of_inc
    read = gy.owner.inputs[0]  # gz[iv], times "no later write goes to the same place"
    assert isinstance(read.owner.op, AdvancedSubtensor1) and read.owner.inputs[1] is iv
    y4 = T.dmatrix("y4")
    g_set = function([m, y4, iv], T.grad(T.set_subtensor(m[iv], y4).sum(), y4))
    np.testing.assert_array_equal(g_set(np.zeros((4, 2)), np.ones((4, 2)), [1, 1, -1, 1]),
                                  [[0, 0], [0, 0], [1, 1], [1, 1]])  # the last write to row 1
    assert T.advanced_subtensor1.grad([m, iv], [m[iv]], [T.dmatrix()])[1] is None
    gm, gy = T.grad(T.inc_subtensor(m[iv], y[:, 0]).sum(), [m, y])
    gi = T.grad(m[iv].sum(), iv)  # an integer input's gradient: zeros
    f = function([m, y, iv], [gx, gm, gy, gi], backend="numpy")
    gx, gm, gy, gi = f(np.zeros((4, 2)), np.zeros((2, 3)), [1, 1, -1, 1])
    np.testing.assert_array_equal(gx, [[0, 0], [3, 3], [0, 0], [1, 1]])  # repeats add up
    np.testing.assert_array_equal(gm, np.ones((4, 2)))
    np.testing.assert_array_equal(gy, [[4, 0, 0], [4, 0, 0]])  # summed over the 4 rows
    np.testing.assert_array_equal(gi, np.zeros(4))


def test_the_numpy_reference_names_the_op_index_and_axis():
    f = function([m, iv, jv], m[iv, jv], backend="numpy")
    with pytest.raises(IndexError, match=re.escape(
            "AdvancedSubtensor: index -4 is out of range for axis 1 of length 3 (input shape "
            "(2, 3))")):
        f(np.ones((2, 3)), [0, 1], np.array([0, -4], dtype="int32"))
