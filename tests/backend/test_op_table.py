"""Every op of tests/op_cases.py through the C backend and the NumPy backend, compared.

To keep compiles few, the cases C can run are packed into a handful of functions, each with the
inputs and outputs of many cases; every case still reports as its own test. Each batch is called
twice: optimized with contiguous inputs, and unoptimized (each op on its own) with the same values
as strided, reversed views.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from graphlab_kernel import function
from graphlab_kernel.backend.c.codegen import Unsupported, render
from graphlab_kernel.gof.fg import FunctionGraph
from op_cases import CASES

BATCH = 24
BY_NAME = {c.name: c for c in CASES}


def _build(case):
    stem = case.name.split("/")[0]
    variables = [spec.variable(f"{stem}_{i}") for i, spec in enumerate(case.inputs)]
    out = case.build(*variables)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    return variables, outs


def _values(case):
    rng = np.random.default_rng(zlib.crc32(case.name.encode()))
    return [spec.value(rng) for spec in case.inputs]


def _strided(value: np.ndarray) -> np.ndarray:
    """The same values, as a view with non-unit, reversed strides."""
    if value.ndim == 0:
        return value
    big = np.empty(tuple(2 * n for n in value.shape), value.dtype)
    view = big[tuple(slice(None, None, -2) for _ in value.shape)]
    view[...] = value
    return view


def _renders(fgraph) -> bool:
    try:
        render(fgraph)
        return True
    except Unsupported:
        return False


def _support(case) -> tuple[bool, bool]:
    """Whether C renders the case's graph (unoptimized, optimized)."""
    variables, outs = _build(case)
    optimized = function(variables, outs, backend="numpy").maker.fgraph
    return _renders(FunctionGraph(variables, outs)), _renders(optimized)


_SUPPORT = {c.name: _support(c) for c in CASES}
SUPPORTED = [name for name, (raw, opt) in _SUPPORT.items() if raw and opt]
UNSUPPORTED = [name for name, (raw, opt) in _SUPPORT.items() if not opt]
BATCHES = [SUPPORTED[i:i + BATCH] for i in range(0, len(SUPPORTED), BATCH)]
BATCH_OF = {name: k for k, names in enumerate(BATCHES) for name in names}
_results: dict[int, dict] = {}


def _run_batch(k: int) -> dict:
    """{case name: (C outputs, unoptimized C outputs on strided inputs, NumPy outputs)}."""
    if k in _results:
        return _results[k]
    inputs, outputs, spans, values = [], [], {}, []
    for name in BATCHES[k]:
        case = BY_NAME[name]
        variables, outs = _build(case)
        spans[name] = (len(outputs), len(outputs) + len(outs))
        inputs += variables
        outputs += outs
        values += _values(case)
    f_c = function(inputs, outputs, backend="c", on_unused_input="ignore")
    f_raw = function(inputs, outputs, backend="c", mode="NO_OPT", on_unused_input="ignore")
    f_np = function(inputs, outputs, backend="numpy", on_unused_input="ignore")
    assert f_c.backend == f_raw.backend == "c"
    got = f_c(*values)
    got_raw = f_raw(*[_strided(v) for v in values])
    expected = f_np(*values)
    _results[k] = {name: (got[a:b], got_raw[a:b], expected[a:b]) for name, (a, b) in spans.items()}
    return _results[k]


def _close(got, expected, name):
    assert got.dtype == expected.dtype, f"{name}: dtype {got.dtype} != {expected.dtype}"
    assert got.shape == expected.shape, f"{name}: shape {got.shape} != {expected.shape}"
    if got.dtype.kind == "f":
        single = got.dtype == np.float32
        tol = {"rtol": 1e-5, "atol": 1e-6} if single else {"rtol": 1e-9, "atol": 1e-12}
        np.testing.assert_allclose(got, expected, equal_nan=True, err_msg=name, **tol)
    else:
        np.testing.assert_array_equal(got, expected, err_msg=name)


@pytest.mark.parametrize("name", SUPPORTED)
def test_c_matches_numpy(name):
    got, got_strided, expected = _run_batch(BATCH_OF[name])[name]
    for g, g2, e in zip(got, got_strided, expected):
        _close(g, e, name)
        _close(g2, e, name + " (unoptimized, strided inputs)")
        assert g.flags.c_contiguous and g.flags.owndata and g.flags.writeable


def test_every_op_case_has_a_c_form_before_and_after_the_rewrites():
    # The fallback for graphs without one is tested in test_safety.py; the catalogue has none.
    # Unoptimized too: shape arithmetic the rewrites would simplify runs with the shape code.
    assert UNSUPPORTED == [], f"without a C form: {UNSUPPORTED}"
    optimized_only = [name for name, (raw, opt) in _SUPPORT.items() if opt and not raw]
    assert optimized_only == [], f"without a C form before the rewrites: {optimized_only}"
