"""pp writes a loop as its step function and arguments; debugprint shows the loop body under the
tree, as Theano's does."""

from __future__ import annotations

import numpy as np

import graphlab_kernel as theano
import graphlab_kernel.tensor as T
from graphlab_kernel import debugprint, function, grad, pp


def _cumsum(name="cumsum"):
    x, s0 = T.dvector("x"), T.dscalar("s0")
    total, _ = theano.scan(lambda v, acc: acc + v, sequences=x, outputs_info=s0, name=name)
    return x, s0, total


def test_pp_of_a_loop():
    x, s0, total = _cumsum()
    assert pp(total) == ("Scan{cumsum}(lambda x[t], s0[t-1]: [(s0[t-1] + x[t])], "
                         "n_steps=Shape(x)[0], sequences=[x], outputs_info=[s0])")
    (_, doubled), _ = theano.scan(lambda v, acc: [acc + v, v * 2], sequences=x,
                                  outputs_info=[s0, None])
    assert pp(doubled).startswith("Scan{scan_fn}(lambda x[t], s0[t-1]: [(s0[t-1] + x[t]), "
                                  "(x[t] * TensorConstant{2})], ")
    assert pp(doubled).endswith(").1")  # the second output
    W = T.dmatrix("W")
    back, _ = theano.scan(lambda v, W: T.dot(W, v), sequences=T.dmatrix(), non_sequences=W,
                          go_backwards=True)
    assert pp(back).startswith("Scan{scan_fn, backwards}(lambda seq0[t], W: [(W \\dot seq0[t])], ")
    assert "non_sequences=[W]" in pp(back)


def test_debugprint_shows_the_loop_body():
    x, s0, total = _cumsum()
    assert debugprint(total, file="str").splitlines() == [
        "Scan{cumsum} [id A]",
        " |Subtensor{0} [id B]",
        " | |Shape [id C]",
        " | | |x",
        " |x",
        " |InplaceDimShuffle{x} [id D]",
        " | |s0",
        "",
        "Inner graphs:",
        "",
        "Scan{cumsum} [id A]",
        " >Elemwise{add,no_inplace} [id E]",
        " > |s0[t-1]",
        " > |x[t]",
    ]
    f = function([x, s0], total)
    assert "Inner graphs:" in debugprint(f, file="str")


def test_debugprint_of_a_gradient_shows_both_loops():
    x, _, total = _cumsum()
    text = debugprint(grad(T.sum(total), x), file="str")
    assert "Scan{grad_of_cumsum}" in text and "Scan{cumsum}" in text
    inner = text[text.index("Inner graphs:"):]
    assert inner.count("\nScan{") == 2  # each body once
    assert "grad_out0[t]" in inner and "owed_to_out0" in inner  # the backward step's values


def test_nested_loops_print_each_body():
    m = T.dmatrix("m")

    def row_sum(row):
        return theano.scan(lambda v, acc: acc + v, sequences=row, outputs_info=np.float64(0),
                           name="inner")[0][-1]

    out, _ = theano.scan(row_sum, sequences=m, name="outer")
    text = debugprint(out, file="str")
    assert "\nScan{outer} [id A]\n" in text and "\nScan{inner} [id" in text
