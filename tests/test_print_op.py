"""printing.Print: the identity that prints its value each time a function computes it."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel as G
import graphlab_kernel.tensor as T
from graphlab_kernel.ifelse import ifelse
from graphlab_kernel.printing import Print
from tests.toolchain import require_compiler




def test_prints_each_time_the_value_is_computed(capsys, backend):
    x = T.dvector("x")
    f = G.function([x], Print("doubled")(x * 2) * 3, backend=backend)
    # the second call's shapes differ from the first's: C runs its shape code again, but the
    # node runs once per call
    np.testing.assert_array_equal(f([1.0, 2.0, 3.0]), [6.0, 12.0, 18.0])
    np.testing.assert_array_equal(f([0.5]), [3.0])
    assert capsys.readouterr().out == "doubled __str__ = [2. 4. 6.]\ndoubled __str__ = [1.]\n"
    assert f.backend == backend and f.fallback_reason is None  # in C, Python called from C


def test_in_c_a_branch_not_taken_does_not_print(capsys):
    require_compiler()
    c, x = T.dscalar("c"), T.dvector("x")
    f = G.function([c, x], ifelse(T.gt(c, 0), Print("then")(x * 2).sum(), x.sum()))
    assert f.backend == "c"
    assert f(-1.0, [1.0, 2.0]) == 3.0 and capsys.readouterr().out == ""
    assert f(1.0, [1.0, 2.0]) == 6.0 and capsys.readouterr().out == "then __str__ = [2. 4.]\n"


def test_in_c_an_exception_of_the_python_node_is_raised_as_it_is(backend):
    x = T.dvector("x")
    f = G.function([x], Print("p", attrs=("no_such_attribute",))(x + 1) * 2, backend=backend)
    assert f.backend == backend
    with pytest.raises(AttributeError, match="no_such_attribute(.|\n)*while computing Print"):
        f([1.0])
    g = G.function([x], Print("q", attrs=("shape",))(x + 1) * 2, backend=backend)
    np.testing.assert_array_equal(g([1.0]), [4.0])  # the module is usable after a failure


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


def test_its_output_is_never_written_in_place(backend):
    x = T.dvector("x")
    shown = Print("y", attrs=())(x + 1)
    f = G.function([x], [shown, T.exp(shown), T.exp(Print("x", attrs=())(x)) + 1],
                   backend=backend)
    xv = np.array([0.0, 1.0])
    a, b, c = f(xv)
    np.testing.assert_array_equal(a, [1.0, 2.0])
    np.testing.assert_allclose(b, np.exp([1.0, 2.0]))
    np.testing.assert_allclose(c, np.exp([0.0, 1.0]) + 1)
    np.testing.assert_array_equal(xv, [0.0, 1.0])  # the printed input is left as it was


def test_printing_and_errors():
    x = T.dvector("x")
    y = Print("look")(x * 2)
    assert G.pp(y) == "Print{look}((x * TensorConstant{2}))"
    assert G.debugprint(y, file="str").splitlines()[0] == "Print{look} [id A]"
    with pytest.raises(TypeError, match="attrs must be a sequence of names; got the string"):
        Print("m", attrs="shape")
