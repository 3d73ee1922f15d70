"""A wrong call raises an exception that names the input or node, what was expected and what was
received."""

from __future__ import annotations

import numpy as np
import pytest

import graphlab_kernel.tensor as T
from graphlab_kernel import function, shared
from graphlab_kernel.gof.fg import MissingInputError


@pytest.fixture
def add_xy():
    x, y = T.dvectors("x", "y")
    return function([x, y], x + y)


def test_wrong_number_of_arguments(add_xy):
    with pytest.raises(TypeError, match=r"takes 2 argument\(s\) \(x, y\); got 1"):
        add_xy([1.0])
    with pytest.raises(TypeError, match=r"takes 2 argument\(s\) \(x, y\); got 3"):
        add_xy([1.0], [2.0], [3.0])


def test_wrong_rank(add_xy):
    with pytest.raises(TypeError, match=r"argument 1 \(y\) must be TensorType\(float64, vector\), "
                                        r"a 1-d array; got a 2-d value of shape \(1, 2\)"):
        add_xy([1.0, 2.0], [[1.0, 2.0]])


def test_broadcastable_axis_must_have_length_one():
    r = T.drow("r")
    with pytest.raises(ValueError, match=r"argument 0 \(r\) must have length 1 along axis 0 "
                                         r"\(TensorType\(float64, row\)\); got shape \(2, 2\)"):
        function([r], r * 2)(np.ones((2, 2)))


def test_lossy_dtype_cast_is_refused():
    i = T.ivector("i")
    f = function([i], i * 2)
    with pytest.raises(TypeError, match=r"argument 0 \(i\) must be TensorType\(int32, vector\); "
                                        r"a value of dtype float64 cannot be cast to int32 "
                                        "without loss"):
        f([1.5, 2.0])
    with pytest.raises(TypeError, match="int64 cannot be cast to int32 without loss"):
        f(np.array([2 ** 40]))
    np.testing.assert_array_equal(f([1.0, 2.0]), [2, 4])  # exact floats are accepted
    x = T.fscalar("x")
    with pytest.raises(TypeError, match="float64 cannot be cast to float32 without loss"):
        function([x], x)(0.1)
    n = T.lscalar("n")
    with pytest.raises(TypeError, match=r"argument 0 \(n\) must be TensorType\(int64, scalar\); "
                                        f"{2 ** 70} does not fit in int64"):
        function([n], n + 1)(2 ** 70)
    with pytest.raises(TypeError, match=r"argument 0 \(i\) must be TensorType\(int32, vector\); "
                                        f"{2 ** 70} does not fit in int32"):
        f([1, 2 ** 70])  # in a list, NumPy makes it an object array
    with pytest.raises(TypeError, match=r"argument 0 \(n\) must be a numeric value for "
                                        r"TensorType\(int64, scalar\); got None"):
        function([n], n + 1)(None)


@pytest.mark.parametrize("backend", ["c", "numpy"])
def test_an_integer_a_float_cannot_hold_exactly_is_refused(backend):
    # NumPy calls int64 -> float64 a safe cast, but float64 holds integers exactly only to 2**53
    x = T.dscalar("x")
    v = T.dvector("v")
    f = function([x], x + 0, backend=backend)
    g = function([v], v * 1, backend=backend)
    assert f(2 ** 53) == 2.0 ** 53 and f(-(2 ** 53)) == -(2.0 ** 53)
    assert f(2 ** 60) == 2.0 ** 60  # exact: a power of two
    for big in (2 ** 53 + 1, 2 ** 63 - 1):
        with pytest.raises(TypeError, match=r"argument 0 \(x\) must be TensorType\(float64, "
                                            r"scalar\); it holds an integer beyond 2\*\*53 that "
                                            r"float64 cannot represent exactly"):
            f(big)
    for array in (np.array([1, 2 ** 62 + 1]), np.array([2 ** 64 - 1], dtype=np.uint64)):
        with pytest.raises(TypeError, match="beyond 2\\*\\*53"):
            g(array)
    np.testing.assert_array_equal(g(np.array([3, -(2 ** 63)])), [3.0, -(2.0 ** 63)])
    s = T.fscalar("s")
    for big in (2 ** 24 + 1, 2 ** 60 + 1):  # NumPy's == would round 2**60 + 1 as float32 does
        with pytest.raises(TypeError, match="int64 cannot be cast to float32 without loss"):
            function([s], s, backend=backend)(big)
    assert function([s], s, backend=backend)(2 ** 60) == np.float32(2.0 ** 60)


def test_lossless_inputs_of_any_layout_are_accepted():
    x = T.dmatrix("x")
    f = function([x], x.T * 1.0)
    base = np.arange(12, dtype="int16").reshape(3, 4)
    np.testing.assert_array_equal(f(base[:, ::2]), base[:, ::2].T)
    np.testing.assert_array_equal(f(np.asfortranarray(base)), base.T)
    np.testing.assert_array_equal(f([[1, 2], [3, 4]]), [[1, 3], [2, 4]])


def test_shapes_that_do_not_broadcast(add_xy):
    with pytest.raises(ValueError, match=r"Elemwise\{add,no_inplace\}: input shapes \(2,\), \(3,\) "
                                         "do not broadcast"):
        add_xy([1.0, 2.0], [1.0, 2.0, 3.0])


def test_output_needs_an_input_not_given():
    x, y = T.dscalars("x", "y")
    with pytest.raises(MissingInputError, match=r"needs the input y \(TensorType\(float64, "
                                                r"scalar\)\), which was not given; inputs are \[x\]"):
        function([x], x + y)


def test_update_of_another_type():
    counter = shared(0.0, name="counter")
    step = T.iscalar("step")
    with pytest.raises(TypeError, match=r"the update of shared variable counter has type "
                                        r"TensorType\(float64, vector\), but counter is "
                                        r"TensorType\(float64, scalar\)"):
        function([step], counter, updates=[(counter, T.stack([counter, counter]))])
    total = shared(np.int32(0), name="total")
    with pytest.raises(TypeError, match=r"update of shared variable total has type "
                                        r"TensorType\(float64, scalar\).*cast it"):
        function([], total, updates={total: total + 0.5 * T.cast(step, "float64")})


def test_update_target_must_be_shared():
    x = T.dscalar("x")
    with pytest.raises(TypeError, match="updates can only change shared variables; x is not one"):
        function([x], x, updates=[(x, x + 1)])


def test_strings_where_tensors_belong():
    x = T.dvector("x")
    with pytest.raises(TypeError, match=r"input 1 of add must be a tensor or a number; got str "
                                        "'abc'"):
        x + "abc"
    with pytest.raises(TypeError, match="argument 0 \\(x\\) must be a numeric value for "
                                        r"TensorType\(float64, vector\); got str 'abc'"):
        function([x], x)("abc")
    with pytest.raises(TypeError, match="input 0 must be a symbolic variable; got str 'x'"):
        function(["x"], x)
    with pytest.raises(TypeError, match="output 0 must be a symbolic variable; got str 'y'"):
        function([x], "y")
    with pytest.raises(TypeError, match=r"function's inputs must be a list of variables"):
        function(x, x)


def test_unused_input_is_reported():
    x, y = T.dscalars("x", "y")
    with pytest.raises(ValueError, match=r"input\(s\) y are not used"):
        function([x, y], x * 2)
    assert function([x, y], x * 2, on_unused_input="ignore")(1.0, 5.0) == 2.0
    with pytest.warns(UserWarning, match=r"input\(s\) y are not used"):
        function([x, y], x * 2, on_unused_input="warn")
    for typo in ("ignroe", None, True):  # a misspelt value is an error, even with no unused input
        with pytest.raises(ValueError, match="on_unused_input must be 'raise', 'warn' or "
                                             "'ignore'"):
            function([x], x * 2, on_unused_input=typo)


def test_givens_of_another_type():
    x = T.dscalar("x")
    v = T.dvector("v")
    with pytest.raises(TypeError, match=r"givens: x is TensorType\(float64, scalar\) but its "
                                        r"replacement v is TensorType\(float64, vector\)"):
        function([v], x * 2, givens={x: v})


# --- shape errors at run time name the op and the shapes --------------------------------------


@pytest.mark.parametrize("build, values, message", [
    (lambda x: x.reshape((4, 2)), [np.ones((2, 3))],
     r"Reshape\{2\}: cannot reshape an array of shape \(2, 3\) \(size 6\) into shape \(4, 2\)"),
    (lambda x: T.concatenate([x, x.T]), [np.ones((2, 3))],
     r"Join\{axis=0\}: input 1 has shape \(3, 2\), which does not match input 0 outside axis 0"),
    (lambda x: x[5], [np.ones((2, 3))],
     r"Subtensor\{5\}: index 5 is out of range for axis 0 of length 2 \(input shape \(2, 3\)\)"),
    (lambda x: x[:, -4], [np.ones((2, 3))],
     r"index -4 is out of range for axis 1 of length 3"),
    (lambda x: T.set_subtensor(x[:1], T.ones_like(x)), [np.ones((2, 3))],
     r"SetSubtensor\{:1\}: a value of shape \(2, 3\) does not broadcast to the region of shape "
     r"\(1, 3\)"),
    (lambda x: T.dot(x, x), [np.ones((2, 3))],
     r"Dot: shapes \(2, 3\) and \(2, 3\) are not aligned"),
    (lambda x: T.alloc(x, 4, 2), [np.ones((2, 3))],
     r"Alloc: a value of shape \(2, 3\) does not broadcast to shape \(4, 2\)"),
    (lambda x: T.max(x[:0], axis=0), [np.ones((2, 3))],
     r"cannot take the max of an empty array of shape \(0, 3\)"),
])
def test_runtime_shape_errors_name_the_op_and_shapes(build, values, message):
    x = T.dmatrix("x")
    f = function([x], build(x), mode="NO_OPT", backend="numpy")  # the reference messages
    with pytest.raises(ValueError, match=message):
        f(*values)


def test_out_of_range_index_is_also_an_index_error():
    v = T.dvector("v")
    with pytest.raises(IndexError, match="out of range"):
        function([v], v[3])(np.ones(3))


def test_static_index_errors():
    m = T.dmatrix("m")
    with pytest.raises(IndexError, match=r"too many indices for m \(TensorType\(float64, "
                                         r"matrix\)\): 3 given"):
        m[0, 0, 0]
    with pytest.raises(NotImplementedError, match=r"m\[:, i\]: an index array after a slice, "
                                                  r"on axis 1 is not supported; supported: "):
        m[:, T.lvector("i")]
    with pytest.raises(TypeError, match="the index on axis 0 must be an integer or an integer "
                                        "scalar variable; got float 1.5"):
        m[1.5]
    with pytest.raises(IndexError, match=r"index 2 is out of range for axis 0 of r"):
        T.drow("r")[2]


def test_op_construction_errors_name_the_input_and_expected_rank():
    m, v, s = T.dmatrix("m"), T.dvector("v"), T.dscalar("s")
    with pytest.raises(TypeError, match=r"concatenate: input 1 \(v\) is TensorType\(float64, "
                                        r"vector\); expected 2 dimension\(s\) like input 0"):
        T.concatenate([m, v])
    with pytest.raises(TypeError, match=r"outer takes two vectors; got TensorType\(float64, "
                                        r"matrix\) and TensorType\(float64, vector\)"):
        T.outer(m, v)
    with pytest.raises(TypeError, match=r"Softmax needs an input of at least 1 dimension; got s"):
        T.nnet.softmax(s)
    with pytest.raises(TypeError, match="set_subtensor expects an indexed tensor such as x\\[1:3\\]"):
        T.set_subtensor(m, 0.0)
    with pytest.raises(TypeError, match=r"IncSubtensor\{0\}: cannot write .* \(float64\) into "
                                        r".* \(int32\) without loss"):
        T.inc_subtensor(T.ivector("i")[0], 1.5 * s)
    with pytest.raises(ValueError, match=r"axis 2 is out of range for m with 2 dimension\(s\)"):
        T.sum(m, axis=2)
    with pytest.raises(ValueError, match=r"flatten: ndim=3 must be between 1 and 2"):
        T.flatten(m, 3)
    with pytest.raises(TypeError, match=r"reshape to a symbolic shape vector needs ndim="):
        T.reshape(m, T.lvector("shape"))
    with pytest.raises(TypeError, match=r"needs integer or boolean inputs; got float64"):
        m & v
