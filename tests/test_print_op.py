"""printing.Print: the identity that prints its value each time a function computes it."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel as G
import graphlab_kernel.tensor as T
from graphlab_kernel.printing import Print


def test_prints_each_time_the_value_is_computed(capsys):
    x = T.dvector("x")
    f = G.function([x], Print("doubled")(x * 2) * 3)
    np.testing.assert_array_equal(f([1.0, 2.0, 3.0]), [6.0, 12.0, 18.0])
    np.testing.assert_array_equal(f([0.5]), [3.0])
    assert capsys.readouterr().out == "doubled __str__ = [2. 4. 6.]\ndoubled __str__ = [1.]\n"
    assert f.backend == "numpy" and "runs Python code" in f.fallback_reason


def test_attrs_and_the_gradient_passes_through(capsys):
    x = T.dvector("x")
    g = G.function([x], T.grad((Print("x", attrs=("shape", "sum"))(x) ** 2).sum(), x))
    np.testing.assert_array_equal(g([1.0, 2.0]), [2.0, 4.0])
    assert capsys.readouterr().out == "x shape = (2,)\nx sum = 3.0\n"


def test_a_printed_constant_prints_when_called_not_when_compiled(capsys):
    f = G.function([], Print("c")(T.constant(np.arange(3.0))) + 1)
    assert capsys.readouterr().out == ""
    np.testing.assert_array_equal(f(), [1.0, 2.0, 3.0])
    assert capsys.readouterr().out == "c __str__ = [0. 1. 2.]\n"


def test_its_output_is_never_written_in_place():
    x = T.dvector("x")
    shown = Print("y", attrs=())(x + 1)
    f = G.function([x], [shown, T.exp(shown)])
    a, b = f([0.0, 1.0])
    np.testing.assert_array_equal(a, [1.0, 2.0])
    np.testing.assert_allclose(b, np.exp([1.0, 2.0]))


def test_printing_and_errors():
    x = T.dvector("x")
    y = Print("look")(x * 2)
    assert G.pp(y) == "Print{look}((x * TensorConstant{2}))"
    assert G.debugprint(y, file="str").splitlines()[0] == "Print{look} [id A]"
    with pytest.raises(TypeError, match="attrs must be a sequence of names; got the string"):
        Print("m", attrs="shape")
