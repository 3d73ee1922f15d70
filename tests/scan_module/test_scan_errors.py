"""scan refuses bad arguments with errors that name the argument and say what was expected,
when the graph is built or, for lengths, when the function runs."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel as theano
import graphlab_kernel.tensor as T
from graphlab_kernel import function, shared


def test_the_number_of_steps_must_be_known():
    with pytest.raises(ValueError, match="scan needs sequences or n_steps to know how many steps"):
        theano.scan(lambda prev: prev * 2, outputs_info=T.dscalar("x0"))


def test_fn_must_return_one_output_per_outputs_info_entry():
    x = T.dvector("x")
    with pytest.raises(ValueError, match=r"scan: fn returned 1 output\(s\) but outputs_info has 2 "
                                         r"entries \(one per output of fn: None for an output not "
                                         r"fed back\)"):
        theano.scan(lambda v, acc: acc + v, sequences=x, outputs_info=[np.float64(0), None])
    with pytest.raises(TypeError, match="scan: output 0 of fn must be a tensor or a number; got "
                                        "str 'oops'"):
        theano.scan(lambda v: "oops", sequences=x)
    with pytest.raises(ValueError, match="scan: fn returned no output and no update"):
        theano.scan(lambda v: None, sequences=x)


def test_an_output_must_keep_the_type_of_its_initial_value():
    x = T.dvector("x")
    with pytest.raises(TypeError, match=r"scan: outputs_info\[0\] \(TensorConstant\{0\}\): the "
                                        r"initial value has type TensorType\(int8, scalar\) but the "
                                        r"step returns type TensorType\(float64, scalar\) \(output 0 "
                                        r"of fn\); .*T.cast\(x0, 'float64'\)"):
        theano.scan(lambda v, acc: acc + v, sequences=x, outputs_info=0)
    f32 = T.fscalar("s0")
    with pytest.raises(TypeError, match=r"the initial value has type TensorType\(float32, scalar\) "
                                        r"but the step returns type TensorType\(float64, scalar\)"):
        theano.scan(lambda v, acc: acc + v, sequences=x, outputs_info=f32)
    with pytest.raises(TypeError, match=r"initial value has type TensorType\(float64, scalar\) but "
                                        r"the step returns type TensorType\(float64, vector\)"):
        theano.scan(lambda v, acc: acc + x, sequences=x, outputs_info=np.float64(0))
    with pytest.raises(TypeError, match=r"scan: outputs_info\[0\] \(start\): the initial value's "
                                        r"rows have type TensorType\(float64, scalar\) but the "
                                        r"step returns type TensorType\(float64, vector\)"):
        theano.scan(lambda a, b: a + x, outputs_info={"initial": T.dvector("start"),
                                                      "taps": [-2, -1]}, n_steps=3)


def test_bad_n_steps():
    x0 = T.dscalar("x0")
    with pytest.raises(ValueError, match=r"scan: n_steps must be zero or more; got -2 \(to loop "
                                         r"from the end of the sequences, pass go_backwards=True\)"):
        theano.scan(lambda p: p * 2, outputs_info=x0, n_steps=-2)
    with pytest.raises(TypeError, match=r"scan: n_steps must be an integer scalar; got .*float64"):
        theano.scan(lambda p: p * 2, outputs_info=x0, n_steps=2.5)
    with pytest.raises(TypeError, match="scan: n_steps must be an integer; got True"):
        theano.scan(lambda p: p * 2, outputs_info=x0, n_steps=True)
    n = T.lscalar("n")
    out, _ = theano.scan(lambda p: p * 2, outputs_info=x0, n_steps=n)
    for backend in ("numpy", "c"):
        f = function([x0, n], out, backend=backend)
        with pytest.raises(ValueError, match="scan: n_steps must be zero or more; got -1"):
            f(1.0, -1)


def test_a_sequence_shorter_than_n_steps_needs():
    x, y = T.dvectors("x", "y")
    n = T.lscalar("n")
    out, _ = theano.scan(lambda a, b, c: a + b * c,
                         sequences=[x, {"input": y, "taps": [-1, 0]}], n_steps=n)
    f = function([x, y, n], out)
    assert f(np.ones(3), np.ones(4), 3).tolist() == [2, 2, 2]
    with pytest.raises(ValueError, match=r"scan: n_steps is 4 but sequences\[0\] \(x\) has 3 "
                                         r"row\(s\); 4 step\(s\) need 4"):
        f(np.ones(3), np.ones(9), 4)
    with pytest.raises(ValueError, match=r"scan: n_steps is 4 but sequences\[1\] \(y, taps \[-1, "
                                         r"0\]\) has 4 row\(s\); 4 step\(s\) need 5"):
        f(np.ones(9), np.ones(4), 4)


def test_a_sequence_too_short_for_its_taps():
    x = T.dvector("x")
    out, _ = theano.scan(lambda a, b, c: a + b + c, sequences={"input": x, "taps": [-1, 0, 1]})
    f = function([x], out)
    assert f(np.ones(2)).shape == (0,)  # no step: its window is wider than the sequence
    with pytest.raises(ValueError, match=r"scan: sequences\[0\] \(x, taps \[-1, 0, 1\]\) has 1 "
                                         r"row\(s\): too few for its taps, which reach 2 rows "
                                         "beyond the steps"):
        f(np.ones(1))


def test_an_initial_value_with_too_few_rows_for_its_taps():
    start = T.dvector("start")
    out, _ = theano.scan(lambda a, b: a + b, outputs_info={"initial": start, "taps": [-3, -1]},
                         n_steps=2)
    f = function([start], out)
    with pytest.raises(ValueError, match=r"scan: outputs_info\[0\] \(start\) starts from 2 "
                                         r"value\(s\), but its taps \[-3, -1\] read 3 value\(s\) "
                                         "before the first step"):
        f(np.ones(2))


def test_a_step_whose_shape_changes():
    x = T.dvector("x")
    v0 = T.dvector("v0")
    grows, _ = theano.scan(lambda prev: T.concatenate([prev, prev]), outputs_info=v0, n_steps=2)
    with pytest.raises(ValueError, match=r"scan: at step 0, outputs_info\[0\] \(v0\) has shape "
                                         r"\(4,\), but its previous value has shape \(2,\); a value "
                                         "fed back must keep its shape"):
        function([v0], grows)(np.ones(2))
    ragged, _ = theano.scan(lambda i, x: x[:i], sequences=T.arange(1, 3), non_sequences=x)
    with pytest.raises(ValueError, match=r"scan: at step 1, output 0 has shape \(2,\), but \(1,\) "
                                         "at step 0; each step must return the same shape"):
        function([x], ragged)(np.ones(5))


def test_bad_sequences_and_outputs_info():
    x = T.dvector("x")
    s = T.dscalar("s")
    with pytest.raises(TypeError, match=r"scan: sequences\[0\] \(s\) is a scalar; scan iterates "
                                        "over the first axis of a sequence"):
        theano.scan(lambda v: v, sequences=s)
    with pytest.raises(ValueError, match=r"scan: sequences\[0\] must be a variable or a dict with "
                                         r"the keys 'input' and \(optionally\) 'taps'"):
        theano.scan(lambda v: v, sequences={"x": x})
    with pytest.raises(TypeError, match=r"scan: the taps of sequences\[0\] must be a non-empty "
                                        "list of integers"):
        theano.scan(lambda v: v, sequences={"input": x, "taps": [0.5]})
    with pytest.raises(ValueError, match=r"scan: the taps of outputs_info\[0\] must be negative "
                                         r"\(past values of the output\); got \[-1, 0\]"):
        theano.scan(lambda a, b: a, outputs_info={"initial": x, "taps": [-1, 0]}, n_steps=2)
    with pytest.raises(ValueError, match=r"scan: outputs_info\[0\] has taps but no initial value"):
        theano.scan(lambda v: v, sequences=x, outputs_info={"taps": [-1]})
    with pytest.raises(TypeError, match=r"scan: outputs_info\[0\] reads taps \[-2\], so its "
                                        r"initial value needs one row per past value \(2\); got the "
                                        "scalar s"):
        theano.scan(lambda a: a, outputs_info={"initial": s, "taps": [-2]}, n_steps=2)
    with pytest.raises(TypeError, match="scan: sequences must be a variable, a dict or a list of "
                                        "them; got set"):
        theano.scan(lambda v: v, sequences={x})
    with pytest.raises(ValueError, match="scan: truncate_gradient must be -1"):
        theano.scan(lambda v: v, sequences=x, truncate_gradient=-5)


def test_strict_refuses_variables_fn_does_not_receive():
    x = T.dvector("x")
    W = shared(np.ones(2), name="W")
    with pytest.raises(ValueError, match=r"scan\(strict=True\): fn uses W, which is not among "
                                         "non_sequences"):
        theano.scan(lambda v: v * W.sum(), sequences=x, strict=True)


def test_updates_must_be_of_shared_variables():
    x = T.dvector("x")
    y = T.dscalar("y")
    with pytest.raises(TypeError, match="scan: fn's updates can only change shared variables; y "
                                        "is not one"):
        theano.scan(lambda v: (v, {y: y + 1}), sequences=x)
    count = shared(np.int64(0), name="count")
    with pytest.raises(TypeError, match=r"scan: fn's update of shared variable count has type "
                                        r"TensorType\(float64, scalar\), but count is "
                                        r"TensorType\(int64, scalar\)"):
        theano.scan(lambda v: (v, {count: count + v}), sequences=x)


def test_an_error_in_the_body_says_at_which_step():
    x = T.dvector("x")
    i = T.lvector("i")
    picked, _ = theano.scan(lambda k, x: x[k], sequences=i, non_sequences=x, name="pick")
    for backend in ("numpy", "c"):
        f = function([x, i], picked, backend=backend)
        assert f(np.arange(3.0), np.array([2, 0])).tolist() == [2, 0]
        with pytest.raises(IndexError, match=r"(?s)out of .*at step 1 of the loop Scan\{pick\}"):
            f(np.arange(3.0), np.array([0, 7]))
