"""Ops with no C form inside a C function: the compiled code calls back into Python for them
(codegen._python_node, runtime.PythonNodes) instead of sending the whole function to NumPy."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import graphlab_kernel as gl
import graphlab_kernel.tensor as T
from graphlab_kernel.gof.graph import Apply
from graphlab_kernel.gof.op import Op
from graphlab_kernel.tensor.type import TensorType
from tests.toolchain import require_compiler


@pytest.fixture(autouse=True)
def _compiler():
    require_compiler()


class Python(Op):
    """A user's op with only a NumPy perform: `how` picks what it returns for its input x."""

    __props__ = ("how",)

    def __init__(self, how: str):
        self.how = how
        self.kept: list = []

    def make_node(self, x) -> Apply:
        x = T.as_tensor_variable(x)
        dtype = "int32" if self.how == "argsort32" else x.dtype
        return Apply(self, [x], [TensorType(dtype, x.broadcastable)()])

    def perform(self, node, inputs):
        (x,) = inputs
        if self.how == "reversed":  # a view with negative strides: the C reads it as it is
            return [x[::-1]]
        if self.how == "every_other":  # a strided view, then a Fortran-ordered copy
            return [np.asfortranarray(x[::2] if x.ndim == 1 else x[:, ::2])]
        if self.how == "keep_and_scribble":  # keeps its input and writes into it: allowed
            self.kept.append(x)
            x[...] = -1
            return [np.zeros_like(x)]
        if self.how == "wrong_dtype":
            return [x.astype(np.float32)]
        if self.how == "raise":
            raise ValueError("this op refuses")
        if self.how == "argsort32":
            return [np.argsort(x, kind="stable").astype(np.int32)]
        raise AssertionError(self.how)


def _in_python(f) -> list[str]:
    return [n.op.how for n in f._run.python_nodes.nodes]


def test_an_op_without_a_c_form_runs_inside_the_c_function():
    x = T.dvector("x")
    f = gl.function([x], T.exp(Python("reversed")(x * 2)) + x)
    assert f.backend == "c" and f.fallback_reason is None and _in_python(f) == ["reversed"]
    assert "gl_py(gl_py_ctx, 0," in f.c_source
    xv = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(f(xv), np.exp(xv[::-1] * 2) + xv, rtol=1e-14)
    np.testing.assert_allclose(f(xv[:2]), np.exp(xv[1::-1] * 2) + xv[:2], rtol=1e-14)


def test_strided_and_fortran_results_are_read_with_their_strides():
    m = T.dmatrix("m")
    f = gl.function([m], (Python("every_other")(m) * 3).sum(axis=0))
    mv = np.arange(20.0).reshape(4, 5)
    np.testing.assert_array_equal(f(mv), (mv[:, ::2] * 3).sum(axis=0))
    np.testing.assert_array_equal(f(mv.T), (mv.T[:, ::2] * 3).sum(axis=0))


def test_an_op_that_keeps_and_writes_its_input_gets_a_copy():
    x = T.dvector("x")
    op = Python("keep_and_scribble")
    doubled = x * 2
    f = gl.function([x], [op(doubled) + 1, doubled * 3])
    xv = np.array([1.0, 2.0])
    zeros_plus_one, six_times = f(xv)
    np.testing.assert_array_equal(zeros_plus_one, [1.0, 1.0])
    np.testing.assert_array_equal(six_times, [6.0, 12.0])  # the C's own buffer is untouched
    f(np.array([5.0, 6.0]))
    assert [k.tolist() for k in op.kept] == [[-1.0, -1.0], [-1.0, -1.0]]  # its copies, still alive
    np.testing.assert_array_equal(xv, [1.0, 2.0])


def test_a_result_of_the_wrong_type_is_refused_with_a_clear_error():
    x = T.dvector("x")
    f = gl.function([x], Python("wrong_dtype")(x) + 1)
    with pytest.raises(TypeError, match=r"Python\{how='wrong_dtype'\} returned output 0 as a "
                                        r"float32 array of shape \(2,\); its type is "
                                        r"TensorType\(float64, vector\)"):
        f(np.ones(2))


def test_an_exception_is_raised_as_it_is_and_no_update_is_written():
    x = T.dvector("x")
    w = gl.shared(np.ones(2), name="w")
    f = gl.function([x], [], updates=[(w, w + Python("raise")(x).sum())])
    assert f.backend == "c"
    with pytest.raises(ValueError, match="this op refuses(.|\n)*while computing Python"):
        f(np.ones(3))
    np.testing.assert_array_equal(w.get_value(), [1.0, 1.0])


def test_integer_results_feed_c_indexing():
    x = T.dvector("x")
    order = Python("argsort32")(x)
    f = gl.function([x], x[order] * 10)
    xv = np.array([3.0, 1.0, 2.0])
    np.testing.assert_array_equal(f(xv), [10.0, 20.0, 30.0])


def test_a_loop_in_a_c_function_updates_a_shared_variable_in_place():
    # an RNN's training step: the loop's results feed a Gemm updating W in its own array
    rng = np.random.default_rng(0)
    X, h0 = T.dmatrix("X"), T.dvector("h0")
    W = gl.shared(rng.standard_normal((4, 4)) * 0.3, name="W")
    hs, _ = gl.scan(lambda x_t, h, W: T.tanh(T.dot(W, h) + x_t), sequences=X,
                    outputs_info=h0, non_sequences=W)
    cost = (hs ** 2).sum()
    step = gl.function([X, h0], cost, updates=[(W, W - 0.01 * T.grad(cost, W))])
    reference = gl.function([X, h0], cost, updates=[(W, W - 0.01 * T.grad(cost, W))],
                            backend="numpy")
    assert step.backend == "c" and reference.backend == "numpy"
    start = W.get_value()
    Xv, hv = rng.standard_normal((6, 4)), rng.standard_normal(4)
    costs = [step(Xv, hv) for _ in range(3)]
    after_c = W.get_value()
    W.set_value(start)
    expected = [reference(Xv, hv) for _ in range(3)]
    np.testing.assert_allclose(costs, expected, rtol=1e-12)
    np.testing.assert_allclose(after_c, W.get_value(), rtol=1e-12)


def test_threads_calling_at_once_get_their_own_results():
    x = T.dvector("x")
    total, _ = gl.scan(lambda v, acc: acc + v, sequences=x, outputs_info=np.float64(0))
    f = gl.function([x], total * 1.0)
    assert f.backend == "c"
    failures = []

    def work(seed: int) -> None:
        values = np.random.default_rng(seed).standard_normal(50 + seed)
        for _ in range(200):
            if not np.allclose(f(values), np.cumsum(values)):
                failures.append(seed)
                return

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_profiled_python_nodes_count_with_the_shape_code():
    x = T.dvector("x")
    f = gl.function([x], Python("reversed")(x) + 1, profile=True)
    f(np.ones(3))
    assert [n.op.how for n in f.profile.shape_nodes if isinstance(n.op, Python)] == ["reversed"]
    assert f.profile.shape_seconds > 0


class CallsBack(Op):
    """An op whose perform calls a compiled function: `function` is set once it exists."""

    __props__ = ()
    function = None

    def make_node(self, x) -> Apply:
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs):
        (x,) = inputs
        if x.size and x[0] > 0:  # the same function again, one level down
            return [np.asarray(CallsBack.function(x - 1), dtype=x.dtype)]
        return [x.copy()]


def test_a_node_calling_its_own_function_keeps_the_calls_apart():
    x = T.dvector("x")
    f = gl.function([x], CallsBack()(x * 1.0) + 1)
    CallsBack.function = f
    assert f.backend == "c"
    # f(x) = f(x - 1) + 1 while x[0] > 0, and x + 1 once it is not: three levels deep here
    np.testing.assert_array_equal(f(np.array([2.0, 5.0])), [3.0, 6.0])
