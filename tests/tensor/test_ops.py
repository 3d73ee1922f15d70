"""Every op of tests/op_cases.py against its NumPy reference (dtype and values), and every
differentiable op's gradient against finite differences (a random-direction check in float64)."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import graphlab_kernel.tensor as T
from graphlab_kernel import function, grad
from gradcheck import check_grad, weighted_cost
from op_cases import CASES, covered_ops, public_ops

# The NumPy reference backend; the C backend's tests run the same CASES with backend="c".
BACKEND = "numpy"
BY_NAME = {c.name: c for c in CASES}
DIFFERENTIABLE = [c.name for c in CASES if c.differentiable]


def _rng(name: str, salt: int = 0) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(name.encode()) + salt)


def _tolerance(dtype: np.dtype) -> dict:
    if dtype in (np.float32, np.complex64):
        return {"rtol": 2e-5, "atol": 1e-6}
    return {"rtol": 1e-10, "atol": 1e-12}


def test_case_names_are_unique():
    assert len(BY_NAME) == len(CASES)


def test_every_public_op_has_a_case():
    covered = covered_ops()
    missing = sorted(name for name, op in public_ops().items() if id(op) not in covered)
    assert not missing, f"ops without a case in tests/op_cases.py: {missing}"


@pytest.mark.parametrize("name", list(BY_NAME))
def test_op_matches_numpy(name):
    case = BY_NAME[name]
    rng = _rng(name)
    inputs = [spec.variable(f"in{i}") for i, spec in enumerate(case.inputs)]
    values = [spec.value(rng) for spec in case.inputs]
    out = case.build(*inputs)
    result = function(inputs, out, backend=BACKEND)(*values)
    expected = case.reference(*values)
    if isinstance(out, (list, tuple)):  # an op of several outputs: each against its reference
        assert len(result) == len(expected) == len(out)
        for o, r, e in zip(out, result, expected):
            _check_output(o, r, np.asarray(e))
    else:
        _check_output(out, result, np.asarray(expected))


def _check_output(out, result, expected):
    assert isinstance(result, np.ndarray)
    assert result.dtype == expected.dtype, f"dtype {result.dtype}, NumPy gives {expected.dtype}"
    assert result.dtype == out.dtype, f"graph says {out.dtype}, result is {result.dtype}"
    assert result.shape == expected.shape
    assert len(out.broadcastable) == result.ndim
    assert all(result.shape[d] == 1 for d, b in enumerate(out.broadcastable) if b)
    if expected.dtype.kind in "fc":
        np.testing.assert_allclose(result, expected, **_tolerance(expected.dtype))
    else:
        np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_gradient_matches_finite_differences(name):
    case = BY_NAME[name]
    rng = _rng(name, 1)
    dtypes = ["float64" if np.dtype(s.dtype).kind == "f" else s.dtype for s in case.inputs]
    inputs = [s.variable(f"in{i}", d) for i, (s, d) in enumerate(zip(case.inputs, dtypes))]
    values = [s.value(rng, d) for s, d in zip(case.inputs, dtypes)]
    wrt = [i for i, d in enumerate(dtypes) if d == "float64"]
    out = case.build(*inputs)
    cost = weighted_cost(out, function(inputs, out, backend=BACKEND)(*values), rng)
    check_grad(inputs, cost, values, wrt, rng, backend=BACKEND)


SECOND_ORDER = ["tanh/float64", "mul/operator", "true_div/operator", "pow/float**float",
                "dot/matrix.matrix", "softmax/matrix", "log_softmax/matrix", "sum/axis=0",
                "getitem/step", "concatenate/axis=0", "max/axis=0", "sigmoid/float64",
                "cumsum/axis=0", "cumprod/axis=0", "sort/last-axis", "diagonal/matrix",
                "diag/vector", "tile/matrix", "repeat/counts-axis=0", "roll/axis=1",
                "split/axis=0", "addbroadcast/then-broadcast", "gammaln/float64",
                "arctan2/float64"]


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_gradient_of_gradient(name):
    """The gradient graph is itself differentiable: check d/dx <grad cost, W2>."""
    case = BY_NAME[name]
    rng = _rng(name, 2)
    inputs = [s.variable(f"in{i}", "float64") for i, s in enumerate(case.inputs)]
    values = [s.value(rng, "float64") for s in case.inputs]
    out = case.build(*inputs)
    cost = weighted_cost(out, function(inputs, out, backend=BACKEND)(*values), rng)
    first = grad(cost, inputs[0])
    second_cost = T.sum(first * rng.standard_normal(np.shape(values[0])))
    check_grad(inputs, second_cost, values, range(len(inputs)), rng, backend=BACKEND)


def test_second_derivative_of_a_scalar_function():
    x = T.dscalar("x")
    d2 = grad(grad(T.sin(x) * x ** 3, x), x)
    value = 0.7
    expected = -np.sin(value) * value ** 3 + 6 * np.cos(value) * value ** 2 + 6 * np.sin(value) * value
    np.testing.assert_allclose(function([x], d2, backend=BACKEND)(value), expected, rtol=1e-12)


FLOAT32_DIFFERENTIABLE = [c.name for c in CASES if c.differentiable
                          and any(s.dtype == "float32" for s in c.inputs)]


@pytest.mark.parametrize("name", FLOAT32_DIFFERENTIABLE)
def test_gradient_keeps_each_input_type(name):
    """A gradient has exactly its variable's type: float32 inputs get float32 gradients."""
    case = BY_NAME[name]
    rng = _rng(name, 3)
    inputs = [spec.variable(f"in{i}") for i, spec in enumerate(case.inputs)]
    values = [spec.value(rng) for spec in case.inputs]
    wrt = [v for v in inputs if v.dtype in ("float32", "float64")]
    out = case.build(*inputs)
    cost = weighted_cost(out, function(inputs, out, backend=BACKEND)(*values), rng)
    grads = grad(cost, wrt, disconnected_inputs="ignore")
    for w, g in zip(wrt, grads):
        assert g.type == w.type, f"gradient of {w} is {g.type}; expected {w.type}"
    for w, g in zip(wrt, function(inputs, grads, backend=BACKEND)(*values)):
        assert g.dtype == w.dtype and g.shape == values[inputs.index(w)].shape


def test_subtracting_or_negating_booleans_is_refused_when_the_graph_is_built():
    # NumPy refuses both at run time, and the C backend would compute something: refuse early
    p = T.dvector("p")
    with pytest.raises(TypeError, match="sub of two bool values is not supported"):
        (p > 0) - (p > 1)
    with pytest.raises(TypeError, match="neg of a bool value is not supported"):
        -(p > 0)
    assert ((p > 0) ^ (p > 1)).dtype == "bool" and (~(p > 0)).dtype == "bool"
    assert ((p > 0) - 1).dtype != "bool"  # with a number it is arithmetic, as in NumPy
