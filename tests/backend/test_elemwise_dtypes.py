"""Every elementwise op on every dtype (pair): the graph's dtype is NumPy's, or the graph refuses
exactly what NumPy refuses; and both backends compute it (the C one without falling back), with
NumPy's values, also for special values (NaN, infinities, signed zeros, integer extremes)."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import graphlab_kernel as G
import graphlab_kernel.tensor as T
from graphlab_kernel.tensor.elemwise import Elemwise

DTYPES = ["bool", "int8", "uint8", "int32", "int64", "uint64", "float32", "float64"]

# Where our rule is not the ufunc's, on purpose: round keeps an integer dtype (as np.round does;
# np.rint, its ufunc, makes floats), and identity is the identity (np.positive refuses bools).
OWN_RULE = {"round_half_to_even", "identity"}


def _elementwise_ops() -> dict[str, Elemwise]:
    """The public Elemwise ops of one or two inputs backed by a NumPy ufunc, one name each."""
    found: dict[int, tuple[str, Elemwise]] = {}
    for name in sorted(dir(T)):
        op = getattr(T, name)
        if (isinstance(op, Elemwise) and isinstance(op.scalar_op.ufunc, np.ufunc)
                and op.scalar_op.nin in (1, 2) and op.scalar_op.name not in OWN_RULE):
            found.setdefault(id(op), (op.scalar_op.name, op))
    return dict(found.values())


OPS = _elementwise_ops()


def _combos(op: Elemwise):
    return list(itertools.product(DTYPES, repeat=op.scalar_op.nin))


def _numpy_dtype(op: Elemwise, combo) -> str | None:
    arrays = [np.ones(2, dtype=d) for d in combo]
    try:
        with np.errstate(all="ignore"):
            return str(op.scalar_op.ufunc(*arrays).dtype)
    except TypeError:  # no loop for these dtypes
        return None


def test_the_ops_are_found():
    assert {"add", "sub", "pow", "int_div", "mod", "abs", "sgn", "sqr", "and_", "lt"} <= set(OPS)


@pytest.mark.parametrize("name", sorted(OPS))
def test_graph_dtype_is_numpys_or_refused_as_numpy_refuses(name):
    op = OPS[name]
    for combo in _combos(op):
        inputs = [T.vector(f"x{i}", dtype=d) for i, d in enumerate(combo)]
        expected = _numpy_dtype(op, combo)
        if expected is None:
            with pytest.raises(TypeError, match=rf"{name}"):
                op(*inputs)
        else:
            assert op(*inputs).dtype == expected, combo


def _values(dtype: str, rng) -> np.ndarray:
    """Values every op takes without a domain error: 1 to 3 (and True/False)."""
    if dtype == "bool":
        return np.array([True, False, True, True, False, True])
    if dtype.startswith("float"):
        return rng.uniform(0.5, 3.0, 6).astype(dtype)
    return rng.integers(1, 4, 6).astype(dtype)


@pytest.mark.parametrize("backend", ["c", "numpy"])
@pytest.mark.parametrize("name", sorted(OPS))
def test_every_dtype_the_graph_accepts_computes_numpys_values(name, backend):
    """One function per op with an output per accepted dtype combination: it compiles to C
    (no fallback, no warning) and gives NumPy's dtypes and values."""
    op, rng = OPS[name], np.random.default_rng(0)
    inputs, outputs, args, expected = [], [], [], []
    for combo in _combos(op):
        if _numpy_dtype(op, combo) is None:
            continue
        xs = [T.vector(f"x{i}", dtype=d) for i, d in enumerate(combo)]
        values = [_values(d, rng) for d in combo]
        inputs += xs
        outputs.append(op(*xs))
        args += values
        with np.errstate(all="ignore"):
            expected.append(op.scalar_op.ufunc(*values))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = G.function(inputs, outputs, backend=backend)
    assert f.backend == backend
    for got, want in zip(f(*args), expected):
        assert got.dtype == want.dtype
        if want.dtype.kind == "f":
            np.testing.assert_allclose(got, want, rtol=2e-6 if want.dtype == np.float32 else 1e-13)
        else:
            np.testing.assert_array_equal(got, want)


SPECIAL = {
    "float": [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.5, -2.5, 3.0, 1e308, -1e308, 5e-324, np.inf,
              -np.inf, np.nan, 710.0, -745.1, 1e-17],
    "int64": [0, 1, -1, 2, -2, 7, -7, 2**62, -(2**63), 2**63 - 1],
    "int8": [0, 1, -1, 3, -128, 127],
    "uint8": [0, 1, 2, 7, 128, 255],
    "uint64": [0, 1, 5, 2**63, 2**64 - 1],
}
SPECIAL_DTYPES = ["float64", "float32", "int64", "int8", "uint8", "uint64"]


def _special_grid(combo):
    """Every combination of the dtypes' special values (zeros of both signs, infinities, NaN,
    subnormals, overflowing and extreme integers), one array per input."""
    with np.errstate(all="ignore"):  # 1e308 is inf as a float32
        values = [np.array(SPECIAL["float" if d.startswith("float") else d], dtype=d)
                  for d in combo]
        index = np.meshgrid(*[np.arange(len(v)) for v in values], indexing="ij")
    return [v[i.ravel()] for v, i in zip(values, index)]


@pytest.mark.parametrize("name", sorted(OPS))
def test_special_values_give_numpys_values_in_c(name):
    """NaN, infinities, signed zeros, subnormals and integer extremes, against the ufunc itself:
    same values (NaN where NumPy gives NaN, and the same infinities), in one C function per op."""
    op = OPS[name]
    combos = [c for c in itertools.product(SPECIAL_DTYPES, repeat=op.scalar_op.nin)
              if len(set(c)) == 1 or "float64" in c]
    inputs, outputs, args, expected = [], [], [], []
    for combo in combos:
        if _numpy_dtype(op, combo) is None:
            continue
        values = _special_grid(combo)
        try:
            with np.errstate(all="ignore"):
                want = op.scalar_op.ufunc(*values)
        except ValueError:  # an integer to a negative power: tests/backend/test_integer_power.py
            continue
        xs = [T.vector(f"x{i}", dtype=d) for i, d in enumerate(combo)]
        inputs += xs
        outputs.append(op(*xs))
        args += values
        expected.append((combo, want))
    f = G.function(inputs, outputs, backend="c")
    assert f.backend == "c"
    for got, (combo, want) in zip(f(*args), expected):
        assert got.dtype == want.dtype, combo
        if want.dtype.kind == "f":
            np.testing.assert_allclose(got, want, rtol=2e-6 if want.dtype == np.float32 else 1e-13,
                                       err_msg=str(combo))
        else:
            np.testing.assert_array_equal(got, want, err_msg=str(combo))
