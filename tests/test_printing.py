"""pp writes an expression in math notation; debugprint draws the indented tree."""

from __future__ import annotations

import io

import graphlab_kernel.tensor as T
from graphlab_kernel import debugprint, pp


def test_pp_of_operators_and_functions():
    x, y = T.dscalars("x", "y")
    m = T.dmatrix("m")
    v = T.dvector("v")
    assert pp(x + y) == "(x + y)"
    assert pp(-(x * y) / 2) == "((-(x * y)) / TensorConstant{2})"
    assert pp(x ** 2 - abs(y)) == "((x ** TensorConstant{2}) - abs(y))"
    assert pp(T.exp(x) // y % 3) == "((exp(x) // y) % TensorConstant{3})"
    assert pp(T.switch(x < y, x, y)) == "switch((x < y), x, y)"
    assert pp(m.T) == "m.T"
    assert pp(T.dot(m, v)) == "(m \\dot v)"
    assert pp(T.sum(m, axis=1)) == "sum(m, axis=[1])"
    assert pp(T.sum(m)) == "sum(m)"
    assert pp(m[1:, ::2]) == "m[1:, ::2]"
    assert pp(v[-1]) == "v[-1]"
    n = T.lscalar("n")
    assert pp(v[n:]) == "v[n:]"
    assert pp(T.set_subtensor(v[:n], 0.0)) == "set_subtensor(v[:n], TensorConstant{0.0})"
    assert pp(T.nnet.softmax(m)) == "softmax(m)"
    assert pp(T.concatenate([v, v])) == "concatenate([v, v], axis=0)"


def test_pp_uses_names_of_intermediate_variables():
    x = T.dscalar("x")
    hidden = T.tanh(x)
    hidden.name = "h"
    assert pp(hidden * 2) == "(h * TensorConstant{2})"
    assert pp(hidden) == "tanh(x)"


def test_pp_of_shared_and_constants():
    from graphlab_kernel import shared
    w = shared(1.5, name="w")
    assert pp(w * T.constant(3.0)) == "(w * TensorConstant{3.0})"


def test_debugprint_tree():
    x = T.dmatrix("x")
    y = T.dvector("y")
    z = T.sum(T.exp(x * 2) + y, axis=1)
    expected = "\n".join([  # noqa: FLY002 (one line of debugprint per line)
        "Sum{axis=[1]} [id A]",
        " |Elemwise{add,no_inplace} [id B]",
        " | |Elemwise{exp,no_inplace} [id C]",
        " | | |Elemwise{mul,no_inplace} [id D]",
        " | | | |x",
        " | | | |InplaceDimShuffle{x,x} [id E]",
        " | | | | |TensorConstant{2}",
        " | |InplaceDimShuffle{x,0} [id F]",
        " | | |y",
    ])
    assert debugprint(z, file="str") == expected
    out = io.StringIO()
    assert debugprint(z, file=out) is out
    assert out.getvalue() == expected + "\n"


def test_debugprint_prints_to_stdout_by_default(capsys):
    x = T.dvector("x")
    assert debugprint(T.exp(x)) is None  # as Theano's: printed, so a notebook shows only the tree
    assert capsys.readouterr().out == "Elemwise{exp,no_inplace} [id A]\n |x\n"


def test_debugprint_shows_a_shared_node_once_and_types_on_request():
    a = T.dscalar("a")
    b = a * a
    c = b + b
    assert debugprint(c, file="str").splitlines() == [
        "Elemwise{add,no_inplace} [id A]",
        " |Elemwise{mul,no_inplace} [id B]",
        " | |a",
        " | |a",
        " |Elemwise{mul,no_inplace} [id B] ...",
    ]
    typed = debugprint(a + 1, file="str", print_type=True).splitlines()
    assert typed[0] == "Elemwise{add,no_inplace} [id A] <TensorType(float64, scalar)>"
    assert typed[1] == " |a <TensorType(float64, scalar)>"


def test_debugprint_of_several_outputs_and_a_function():
    from graphlab_kernel import function
    x = T.dvector("x")
    text = debugprint([x * 2, T.sum(x)], file="str")
    assert text.splitlines()[0] == "Elemwise{mul,no_inplace} [id A]"
    assert "Sum{axis=[0]} [id" in text
    f = function([x], T.sum(x), mode="NO_OPT", backend="numpy")
    assert debugprint(f, file="str").splitlines()[0].startswith("Sum{axis=[0]} [id A]")
