"""TensorType: printing, equality and interning, canonical instances and variable makers."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import graphlab_kernel.tensor as T
from graphlab_kernel.tensor import TensorType


@pytest.mark.parametrize("ttype, text", [
    (TensorType("float64", ()), "TensorType(float64, scalar)"),
    (TensorType("int32", (False,)), "TensorType(int32, vector)"),
    (TensorType("float64", (False, False)), "TensorType(float64, matrix)"),
    (TensorType("float32", (True, False)), "TensorType(float32, row)"),
    (TensorType("int8", (False, True)), "TensorType(int8, col)"),
    (TensorType("float64", (False, False, False)), "TensorType(float64, 3D)"),
    (TensorType("int64", (False,) * 4), "TensorType(int64, 4D)"),
    (TensorType("bool", (True, False, True, False)),
     "TensorType(bool, (True, False, True, False))"),
])
def test_types_print_as_theano_prints_them(ttype, text):
    assert str(ttype) == text == repr(ttype)


def test_types_compare_by_value_and_are_interned():
    assert TensorType("int32", (False,)) == TensorType(np.int32, [0])
    assert TensorType("int32", (False,)) is TensorType(np.dtype("int32"), (False,))
    assert TensorType("int32", (False,)) != TensorType("int64", (False,))
    assert TensorType("float64", (True, False)) != TensorType("float64", (False, False))
    assert hash(T.dmatrix) == hash(TensorType("float64", (False, False)))
    assert pickle.loads(pickle.dumps(T.fvector)) is T.fvector


def test_unknown_dtype_is_refused():
    with pytest.raises(TypeError, match="unsupported dtype 'object'"):
        TensorType("object", ())


@pytest.mark.parametrize("prefix, dtype", [("b", "int8"), ("w", "int16"), ("i", "int32"),
                                           ("l", "int64"), ("f", "float32"), ("d", "float64"),
                                           ("c", "complex64"), ("z", "complex128")])  # Theano's letters
@pytest.mark.parametrize("rank, bcast", [("scalar", ()), ("vector", (False,)),
                                         ("matrix", (False, False)), ("row", (True, False)),
                                         ("col", (False, True)), ("tensor3", (False,) * 3),
                                         ("tensor4", (False,) * 4)])
def test_canonical_instances(prefix, dtype, rank, bcast):
    ttype = getattr(T, prefix + rank)
    assert ttype is TensorType(dtype, bcast)
    v = ttype("v")
    assert v.type is ttype and v.name == "v" and v.dtype == dtype and v.broadcastable == bcast
    assert v.ndim == len(bcast)


def test_variable_type_is_the_canonical_instance():
    assert T.dscalar("x").type is T.dscalar
    assert T.matrix("m").type is T.dmatrix
    assert T.vector("v", dtype="int32").type is T.ivector
    assert T.scalar().type is T.dscalar and T.row().type is T.drow and T.col().type is T.dcol
    assert T.tensor3().type is T.dtensor3 and T.tensor4().type is T.dtensor4
    assert T.tensor("float32", (False, True)).type is T.fcol


def test_plural_makers():
    a, b = T.dscalars("a", "b")
    assert (a.name, b.name) == ("a", "b") and a.type is b.type is T.dscalar
    _m1, _m2, m3 = T.dmatrices("m1", "m2", "m3")
    assert m3.type is T.dmatrix and m3.name == "m3"
    assert [v.type for v in T.ivectors(2)] == [T.ivector, T.ivector]
    assert T.fmatrices("q")[0].type is T.fmatrix
    x, y = T.matrices("x", "y")  # config.floatX ones, as Theano's T.scalars, T.matrices...
    assert (x.name, y.name) == ("x", "y") and x.type is y.type is T.dmatrix
    assert [v.type for v in T.scalars(2)] == [T.dscalar, T.dscalar]
    assert T.vectors("u", dtype="int32")[0].type is T.ivector
    assert T.rows("r")[0].type is T.drow and T.cols("c")[0].type is T.dcol
    assert T.tensor3s("t")[0].type is T.dtensor3 and T.tensor4s("q")[0].type is T.dtensor4


def test_variable_printing_and_attributes():
    x = T.dmatrix("x")
    y = x * 2
    assert str(x) == "x"
    assert str(y.owner.inputs[1]) == "InplaceDimShuffle{x,x}.0"
    assert str(y.owner.inputs[1].owner.inputs[0]) == "TensorConstant{2}"
    assert str(y) == "Elemwise{mul,no_inplace}.0"
    assert y.owner.op.name == "Elemwise{mul,no_inplace}"
    assert y.owner.outputs == [y] and y.index == 0
    assert y.dtype == "float64" and y.broadcastable == (False, False)


def test_weak_python_numbers_and_numpy_promotion():
    f = T.fmatrix("f")
    assert (f * 2).dtype == "float32"
    assert (f * 2.5).dtype == "float32"
    assert (2 ** f).dtype == "float32"
    assert (T.bvector() + 1).dtype == "int8"
    assert (T.bvector() + 1000).dtype == "int16"
    assert (f + T.dmatrix()).dtype == "float64"
    assert (T.ivector() + T.fvector()).dtype == "float64"
    assert (T.ivector() / T.ivector()).dtype == "float64"
    assert (f + np.ones(2, dtype="float64")).dtype == "float64"
    assert T.constant(2).dtype == "int8" and T.constant(2.0).dtype == "float64"


def test_variable_has_no_truth_value_and_no_length():
    x = T.dvector("x")
    with pytest.raises(TypeError, match=r"symbolic variable Elemwise\{gt,no_inplace\}.0 has no truth value"):
        bool(x > 0)
    with pytest.raises(TypeError, match="no static length"):
        len(x)


def test_eval():
    x, y = T.dscalars("x", "y")
    z = x * y + 1
    assert z.eval({x: 2.0, y: 3.0}) == 7.0
    assert z.eval({x: 4.0, y: 0.5}) == 3.0
    assert T.constant(np.arange(3)).sum().eval() == 3
