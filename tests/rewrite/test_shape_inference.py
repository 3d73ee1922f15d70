"""Shape inference: a shape asked of an op's result is computed from its inputs' shapes, checks
kept. Numerically over every op of tests/op_cases.py (on both backends, over several shapes);
structurally (the op is gone from the compiled graph, and a check known to pass is too); the
checks (the op's error, when only the shape is asked); and random graphs."""

from __future__ import annotations

import dataclasses
import re
import warnings
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import graphlab_kernel.tensor as T
from graphlab_kernel import Mode, function
from graphlab_kernel.backend.c.codegen import Unsupported, render
from graphlab_kernel.gof.graph import toposort
from graphlab_kernel.printing import debugprint
from graphlab_kernel.rewrite.shape_inference import input_shapes
from graphlab_kernel.tensor.blas import gemm
from graphlab_kernel.tensor.shape_checks import CheckShapes
from op_cases import CASES
from tests.toolchain import require_compiler

BACKENDS = ["numpy", "c"]
BY_NAME = {c.name: c for c in CASES}


def _ops(f) -> set[str]:
    return {type(node.op).__name__ for node in f.maker.fgraph.toposort()}


def _computes(f, out) -> bool:
    """Whether the compiled function applies out's op to inputs of the types out's node reads
    (a Join of lengths, or an add of them, is not the concatenation or the sum asked for)."""
    node = out.owner
    types = [v.type for v in node.inputs]
    return any(n.op == node.op and [v.type for v in n.inputs] == types
               for n in f.maker.fgraph.toposort())


def _run(call, *values):
    """What a call returns, or the kind of error it raises."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            result = call(*values)
    except IndexError:
        return IndexError
    except (ValueError, TypeError, ZeroDivisionError):
        return ValueError
    return result if isinstance(result, (list, tuple)) else [result]


def _outcome(call, *values):
    """The shapes a call's outputs have, or the kind of error it raises."""
    result = _run(call, *values)
    if isinstance(result, type):
        return result
    return [tuple(int(n) for n in np.shape(r)) for r in result]


def _shapes(call, *values):
    """The shape vectors a shape function returns, as tuples, or the kind of error it raises."""
    result = _run(call, *values)
    if isinstance(result, type):
        return result
    return [tuple(int(n) for n in v) for v in result]


# --- every op of the table, over several shapes --------------------------------------------------


def _build(case):
    stem = case.name.split("/")[0]
    variables = [spec.variable(f"{stem}_{i}") for i, spec in enumerate(case.inputs)]
    out = case.build(*variables)
    return variables, list(out) if isinstance(out, (list, tuple)) else [out]


def _variants(case) -> list[tuple]:
    """The case's input shapes, then each length in them (on axes not broadcastable) replaced,
    wherever it occurs, by 0, by 1 and by a longer one: lengths equal in the case stay equal,
    so that most variants fit, and those that do not must fail as the op fails."""
    specs = case.inputs
    flags = [spec.broadcastable or (False,) * len(spec.shape) for spec in specs]
    base = tuple(spec.shape for spec in specs)
    found = sorted({n for shape, bc in zip(base, flags) for n, b in zip(shape, bc) if not b})
    variants = [base]
    for n in found:
        for m in (0, 1, n + 3):
            new = tuple(tuple(m if k == n and not b else k for k, b in zip(shape, bc))
                        for shape, bc in zip(base, flags))
            if m != n and new not in variants:
                variants.append(new)
    return variants


def _inferable(outs) -> bool:
    """Whether every node computing `outs` can tell its shapes from its inputs'."""
    for node in toposort(outs):
        infer = getattr(node.op, "infer_shape", None)
        if infer is None or infer(node, input_shapes(node)) is None:
            return False
    return True


def _data_read(f) -> list[str]:
    """The nodes of a compiled function that read the values (not only the shape) of a float
    array or of an array of 2 dimensions or more among its inputs: none, when shapes were
    inferred (integer vectors and scalars may set lengths: counts, indices, bounds)."""
    fgraph = f.maker.fgraph
    return [str(client.op) for v in fgraph.inputs
            if v.ndim >= 2 or (v.ndim and v.dtype.startswith("float"))
            for client, _ in fgraph.clients_of(v)
            if client == "output" or type(client.op).__name__ not in ("Shape", "Shape_i")]


# Cases whose shapes read an array's values on purpose: a bernoulli draw checks p is in [0, 1]
VALUES_CHECKED = {"random_draw/bernoulli-row-p", "random_draw/bernoulli-float32-p"}


# Each case's variants: (input shapes, input values, what computing the op gives).
_EXPECTED: dict[str, list] = {}


def _expected(name: str) -> list:
    if name not in _EXPECTED:
        case = BY_NAME[name]
        variables, outs = _build(case)
        computed = function(variables, outs, mode="NO_OPT", backend="numpy",
                            on_unused_input="ignore")
        found = []
        for k, shapes in enumerate(_variants(case)):
            rng = np.random.default_rng(zlib.crc32(name.encode()) + k)
            values = [dataclasses.replace(spec, shape=shape).value(rng)
                      for spec, shape in zip(case.inputs, shapes)]
            found.append((shapes, values, _outcome(computed, *values)))
        _EXPECTED[name] = found
    return _EXPECTED[name]


def _shape_function(name: str, backend: str):
    variables, outs = _build(BY_NAME[name])
    return function(variables, [o.shape for o in outs], backend=backend,
                    on_unused_input="ignore")


def _renders_in_c(f) -> str | None:
    """None when the C backend renders the function's optimized graph, else why not."""
    try:
        render(f.maker.fgraph)
    except Unsupported as exc:
        return str(exc)
    return None


# The C side compiles a few functions, each with the shapes of many cases (as
# tests/backend/test_op_table.py does), and calls it once per variant with the cases whose op
# succeeds there, then once for each case whose op fails there (the others at their own
# shapes), so that each failure is that case's.
BATCH = 24
BATCHES = [[c.name for c in CASES[i:i + BATCH]] for i in range(0, len(CASES), BATCH)]
BATCH_OF = {name: k for k, names in enumerate(BATCHES) for name in names}
_C_RESULTS: dict[int, dict] = {}


def _c_results(k: int) -> dict:
    """{case name: what the C shape function gives at each of its variants}."""
    if k in _C_RESULTS:
        return _C_RESULTS[k]
    results = {}
    batched = []
    for name in BATCHES[k]:  # a graph C cannot run would send the whole batch to NumPy
        if _renders_in_c(_shape_function(name, "numpy")) is None:
            batched.append(name)
        else:
            alone = _shape_function(name, "c")
            results[name] = [_shapes(alone, *values) for _, values, _ in _expected(name)]
    inputs, outputs, spans = [], [], {}
    for name in batched:
        variables, outs = _build(BY_NAME[name])
        spans[name] = (len(outputs), len(outputs) + len(outs))
        inputs += variables
        outputs += [o.shape for o in outs]
    f = function(inputs, outputs, backend="c", on_unused_input="ignore")
    assert f.backend == "c", f.fallback_reason
    results.update({name: [None] * len(_expected(name)) for name in batched})

    def call(variant_of: dict) -> object:
        values = [v for name in batched for v in _expected(name)[variant_of.get(name, 0)][1]]
        return _shapes(f, *values)

    for v in range(max([len(_expected(name)) for name in batched], default=0)):
        fitting = {n: v for n in batched if v < len(_expected(n))
                   and not isinstance(_expected(n)[v][2], type)}
        got = call(fitting)
        for name in fitting:
            start, stop = spans[name]
            results[name][v] = got if isinstance(got, type) else got[start:stop]
        for name in batched:
            if v < len(_expected(name)) and name not in fitting:
                results[name][v] = call({name: v})
    _C_RESULTS[k] = results
    return results


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_inferred_shapes_are_numpys_over_many_shapes(name):
    """For each variant of the input shapes: the shape function (both backends) gives the shapes
    the op's result has, or fails as the op fails; at the case's own shapes, those are NumPy's
    reference's (at others, some references do not apply: np.split with the case's bounds, or
    np.squeeze of every length-1 axis where the op squeezes its broadcastable ones)."""
    require_compiler()
    case = BY_NAME[name]
    variants = _expected(name)
    base_values, base_outcome = variants[0][1], variants[0][2]
    assert base_outcome == _outcome(case.reference, *base_values), base_outcome
    shape_of = _shape_function(name, "numpy")
    if _inferable(_build(case)[1]):
        if name not in VALUES_CHECKED:
            assert not _data_read(shape_of), _data_read(shape_of)
        assert _renders_in_c(shape_of) is None, _renders_in_c(shape_of)
    in_c = _c_results(BATCH_OF[name])[name]
    for (shapes, values, want), got_c in zip(variants, in_c):
        assert _shapes(shape_of, *values) == want, ("numpy", shapes, want)
        assert got_c == want, ("c", shapes, got_c, want)


def test_the_table_covers_shapes_from_empty_to_broadcast():
    """The variants above include length-0 and length-1 axes, broadcasting, negative steps and
    reshapes with -1 (else the test above would test less)."""
    names = [c.name for c in CASES]
    assert any("negative-step" in n for n in names) and any("minus-one" in n for n in names)
    assert any(c.inputs and any(s.broadcastable for s in c.inputs) for c in CASES)
    variants = _variants(BY_NAME["add/matrix+row"])
    assert ((0, 4), (1, 4)) in variants and ((3, 1), (1, 1)) in variants
    assert ((3, 7), (1, 7)) in variants


def test_every_op_that_infers_shapes_is_in_the_table():
    """Each op class with infer_shape appears in some case the table infers shapes of."""
    from graphlab_kernel.gof.op import Op

    def subclasses(cls):
        found, stack = set(), [cls]
        while stack:
            for sub in stack.pop().__subclasses__():
                found.add(sub)
                stack.append(sub)
        return found

    inferring = {cls for cls in subclasses(Op) if "infer_shape" in vars(cls)
                 and cls.__module__.startswith("graphlab_kernel.tensor")}
    seen = set()
    for case in CASES:
        _, outs = _build(case)
        seen |= {type(node.op) for node in toposort(outs)}
    missing = {cls.__name__ for cls in inferring if not any(issubclass(s, cls) for s in seen)}
    # made by the optimizer only (specialize, row fusion), or by shape inference itself; the
    # tests below cover them
    assert missing <= {"_ScaledProduct", "DotMapGemv", "CheckShapes"}, sorted(missing)


# --- structure ------------------------------------------------------------------------------------


def test_the_shape_of_a_sum_of_exps_computes_neither():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    f = function([x, y], (T.exp(x) + y).shape)
    text = debugprint(f, file="str")
    assert "exp" not in text and "Composite" not in text, text
    assert _ops(f) <= {"Shape_i", "Elemwise", "CheckShapes", "DimShuffle", "Join"}
    elemwise = [n.op.scalar_op.name for n in f.maker.fgraph.toposort()
                if type(n.op).__name__ == "Elemwise"]
    assert set(elemwise) == {"eq"}  # the lengths compared, nothing else
    assert all(n.inputs[0].ndim == 0 for n in f.maker.fgraph.toposort()
               if type(n.op).__name__ == "Elemwise")
    for backend in BACKENDS:
        g = function([x, y], (T.exp(x) + y).shape, backend=backend)
        assert g.backend == backend
        assert list(g(np.ones((2, 3)), np.ones((2, 3)))) == [2, 3]
        assert list(g(np.ones((0, 1)), np.ones((0, 1)))) == [0, 1]


def test_without_the_step_the_values_are_computed():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    f = function([x, y], (T.exp(x) + y).shape, mode=Mode().excluding("shape_inference"))
    assert "exp" in debugprint(f, file="str")


STRUCTURE = [  # (inputs, the result whose shape is asked, the op computing it)
    (lambda: [T.dmatrix("x"), T.dmatrix("y")], lambda x, y: T.dot(x, y), "Dot"),
    (lambda: [T.dmatrix("x"), T.dmatrix("y")], lambda x, y: T.dot(x, y)[1:, ::-1], "Dot"),
    (lambda: [T.dmatrix("x")], lambda x: x.reshape((2, -1)), "Reshape"),
    (lambda: [T.dmatrix("x"), T.dmatrix("y")], lambda x, y: T.concatenate([x, y], 1), "Join"),
    (lambda: [T.tensor3("x")], lambda x: T.sum(T.exp(x), axis=(0, 2)), "Reduce"),
    (lambda: [T.dmatrix("x")], lambda x: T.argmax(x, axis=1), "ArgReduce"),
    (lambda: [T.dmatrix("x")], lambda x: T.nnet.softmax(x)[::-2], "Softmax"),
    (lambda: [T.dmatrix("x"), T.lvector("i")], lambda x, i: x[i], "AdvancedSubtensor1"),
    (lambda: [T.dmatrix("x")], lambda x: T.tile(x, (2, 3)), "Tile"),
    (lambda: [T.dmatrix("x")], lambda x: T.diagonal(x, 1), "ExtractDiag"),
    (lambda: [T.dmatrix("x")], lambda x: T.set_subtensor(x[1:], 0.0), "IncSubtensor"),
    (lambda: [T.lscalar("n")], lambda n: T.eye(n, n + 1), "Eye"),
    (lambda: [T.lscalar("n")], lambda n: T.arange(n) * 2, "ARange"),
    (lambda: [T.dvector("v")], lambda v: T.alloc(v, 3, v.shape[0]), "Alloc"),
]


@pytest.mark.parametrize("case", STRUCTURE, ids=[c[2] for c in STRUCTURE])
def test_the_op_computing_the_result_is_gone(case):
    make_inputs, build, _ = case
    inputs = make_inputs()
    out = build(*inputs)
    for backend in BACKENDS:
        f = function(inputs, out.shape, on_unused_input="ignore", backend=backend)
        assert f.backend == backend, f.fallback_reason
        assert not _computes(f, out), debugprint(f, file="str")
        arrays = [n.outputs[0] for n in toposort([out]) if n.outputs[0].ndim
                  and type(n.op).__name__ not in ("Shape", "DimShuffle")]
        assert not any(_computes(f, a) for a in arrays)  # nor any array it is made from


KNOWN_TO_PASS = [  # shapes whose checks hold whatever the input shapes: no check node
    lambda x: T.exp(x) + x,
    lambda x: x * T.ones_like(x) + x.T.T,
    lambda x: T.nnet.softmax(x) - T.log(x),
    lambda x: T.concatenate([x, T.exp(x)], axis=0),
    lambda x: x[::-1] * x,
    lambda x: x.reshape((x.shape[0], x.shape[1])) + x,
    lambda x: T.dot(x, x.T) + T.dot(x, x.T),
    lambda x: x + x.sum(axis=0).dimshuffle("x", 0),
]


@pytest.mark.parametrize("build", KNOWN_TO_PASS)
def test_a_check_known_to_pass_is_gone(build):
    x = T.dmatrix("x")
    f = function([x], build(x).shape)
    assert "CheckShapes" not in _ops(f), debugprint(f, file="str")


def test_exp_of_x_plus_x_reads_only_x_shape():
    x = T.dmatrix("x")
    f = function([x], (T.exp(x) + x).shape)
    assert debugprint(f, file="str") == "Shape [id A]\n |x"


def test_a_result_computed_anyway_keeps_reading_its_own_shape():
    """mean(x + y) computes x + y: reading its length costs nothing, where inferring it would
    compare x's lengths with y's once more."""
    x, y = T.dvector("x"), T.dvector("y")
    f = function([x, y], T.mean(x + y))
    assert "CheckShapes" not in _ops(f)
    # while a shape that costs nothing to infer is read from the inputs
    g = function([x], T.mean(T.exp(x)))
    shape_reads = [n for n in g.maker.fgraph.toposort() if type(n.op).__name__ == "Shape_i"]
    assert [n.inputs[0] for n in shape_reads] == [g.maker.fgraph.inputs[0]]


def test_shapes_of_several_outputs_share_their_checks():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    s = x + y
    f = function([x, y], [s.shape[0], s.shape[1], T.dot(x, y.T).shape])
    values = (np.ones((2, 3)), np.ones((2, 3)))
    first, second, third = f(*values)
    assert (first, second, list(third)) == (2, 3, [2, 2])


# --- checks kept ----------------------------------------------------------------------------------


CHECKS = [  # (name, inputs, result, values that do not fit, the message expected)
    ("elemwise", lambda: [T.dmatrix("x"), T.dmatrix("y")], lambda x, y: T.exp(x) + y,
     [np.ones((2, 3)), np.ones((3, 3))],
     r"Elemwise\{add,no_inplace\}: input shapes \(2, 3\), \(3, 3\) do not broadcast"),
    ("elemwise-length-1-not-broadcastable", lambda: [T.dmatrix("x"), T.dmatrix("y")],
     lambda x, y: x * y, [np.ones((1, 3)), np.ones((4, 3))],
     r"Elemwise\{mul,no_inplace\}: input shapes \(1, 3\), \(4, 3\) do not broadcast"),
    ("dot", lambda: [T.dmatrix("x"), T.dmatrix("y")], lambda x, y: T.dot(x, y),
     [np.ones((2, 3)), np.ones((4, 5))],
     r"Dot: shapes \(2, 3\) and \(4, 5\) are not aligned \(3 != 4\)"),
    ("gemm", lambda: [T.dmatrix("z"), T.dmatrix("a"), T.dmatrix("b")],
     lambda z, a, b: gemm(z, np.float64(1.0), a, b, np.float64(0.5)),
     [np.ones((2, 2)), np.ones((2, 3)), np.ones((3, 4))],
     r"Gemm: z has shape \(2, 2\) but dot\(a, b\) has \(2, 4\)"),
    ("reshape", lambda: [T.dmatrix("x")], lambda x: x.reshape((4, -1)), [np.ones((3, 3))],
     r"Reshape\{2\}: cannot reshape an array of shape \(3, 3\) \(size 9\) into shape \(4, -1\)"),
    ("reshape-size", lambda: [T.dmatrix("x"), T.lscalar("n")], lambda x, n: x.reshape((n, 2)),
     [np.ones((3, 3)), 4], r"Reshape\{2\}: cannot reshape an array of shape \(3, 3\) "
                           r"\(size 9\) into shape \(4, 2\)"),
    ("join", lambda: [T.dmatrix("x"), T.dmatrix("y")], lambda x, y: T.concatenate([x, y]),
     [np.ones((2, 3)), np.ones((2, 4))],
     r"Join\{axis=0\}: input 1 has shape \(2, 4\), which does not match input 0 outside "
     r"axis 0"),
    ("alloc", lambda: [T.dvector("v"), T.lscalar("n")], lambda v, n: T.alloc(v, 2, n),
     [np.ones(3), 4], r"Alloc: a value of shape \(3,\) does not broadcast to shape \(2, 4\)"),
    ("alloc-negative", lambda: [T.lscalar("n")], lambda n: T.zeros((n, 2)), [-1],
     r"Alloc: negative length in shape \(-1, 2\)"),
    ("eye", lambda: [T.lscalar("n")], lambda n: T.eye(n, 3), [-2],
     r"Eye\{dtype='float64'\}: negative length in shape \(-2, 3\)"),
    ("arange-step-0", lambda: [T.lscalar("n"), T.lscalar("h")], lambda n, h: T.arange(0, n, h),
     [5, 0], r"ARange\{dtype='int64'\}: the step must not be zero"),
    ("index", lambda: [T.dmatrix("x")], lambda x: x[3], [np.ones((2, 3))],
     r"Subtensor\{3\}: index 3 is out of range for axis 0 of length 2 \(input shape \(2, 3\)\)"),
    ("slice-step-0", lambda: [T.dvector("x"), T.lscalar("h")], lambda x, h: x[::h],
     [np.ones(3), 0], r"Subtensor\{::\?\}: slice step cannot be zero \(input shape \(3,\)\)"),
    ("set_subtensor", lambda: [T.dmatrix("x"), T.dvector("y")],
     lambda x, y: T.set_subtensor(x[1:], y), [np.ones((3, 4)), np.ones(3)],
     r"SetSubtensor\{1:\}: a value of shape \(3,\) does not broadcast to the region of shape "
     r"\(2, 4\) \(input shape \(3, 4\)\)"),
    ("advanced-index", lambda: [T.dmatrix("x"), T.lvector("i")], lambda x, i: x[i],
     [np.ones((2, 3)), np.array([0, 5])],
     r"AdvancedSubtensor1: an index is out of range for axis 0 of length 2 "
     r"\(input shape \(2, 3\)\)"),
    ("max-of-empty", lambda: [T.dmatrix("x")], lambda x: T.max(x, axis=0), [np.ones((0, 3))],
     r"Max\{axis=\[0\]\}: cannot take the max of an empty array of shape \(0, 3\)"),
    ("softmax_grad", lambda: [T.dmatrix("g"), T.dmatrix("x")],
     lambda g, x: T.nnet.softmax_grad(g, T.nnet.softmax(x)), [np.ones((2, 3)), np.ones((2, 4))],
     r"SoftmaxGrad: dy has shape \(2, 3\) but sm has shape \(2, 4\)"),
    ("addbroadcast", lambda: [T.dmatrix("x")], lambda x: T.addbroadcast(x, 0),
     [np.ones((2, 3))], r"Rebroadcast\{0: True\}: axis 0 of x must have length 1"),
    ("tile", lambda: [T.dmatrix("x"), T.lscalar("n")], lambda x, n: T.tile(x, (n, 2)),
     [np.ones((2, 3)), -1], r"Tile\{ndim=2\}: negative count in reps \(-1, 2\)"),
    ("repeat", lambda: [T.dmatrix("x"), T.lvector("r")], lambda x, r: T.repeat(x, r, axis=1),
     [np.ones((2, 3)), np.array([1, 2])],
     r"Repeat\{axis=1\}: repeats has length 2 but axis 1 of x has length 3"),
    ("split", lambda: [T.dvector("x"), T.lscalar("n")], lambda x, n: T.split(x, [n, 2], 2)[0],
     [np.ones(5), 2], r"Split\{2, axis=0\}: the lengths \(2, 2\) must be at least 0 and add "
                      r"up to 5"),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CHECKS, ids=[c[0] for c in CHECKS])
def test_a_shape_that_does_not_fit_raises_the_ops_error(case, backend):
    _, make_inputs, build, values, message = case
    if backend == "c":
        require_compiler()
    inputs = make_inputs()
    out = build(*inputs)
    computed = function(inputs, out, backend="numpy")
    with pytest.raises(ValueError) as by_the_op:
        computed(*values)
    f = function(inputs, out.shape, backend=backend)
    assert f.backend == backend, f.fallback_reason
    assert not _computes(f, out)
    with pytest.raises(ValueError, match=message) as by_the_shape:
        f(*values)
    assert isinstance(by_the_shape.value, IndexError) == isinstance(by_the_op.value, IndexError)


def test_the_check_runs_with_the_shapes_in_c():
    """In C, a check on shapes alone fails before anything is allocated or computed."""
    require_compiler()
    x, y = T.dmatrix("x"), T.dmatrix("y")
    f = function([x, y], [(x + y).shape, T.exp(x)], backend="c")
    source = f.c_source
    check = source.index("input shapes (%lld, %lld), (%lld, %lld) do not broadcast")
    assert check < source.index("/* compute */")
    with pytest.raises(ValueError, match=r"\(2, 3\), \(3, 3\) do not broadcast"):
        f(np.ones((2, 3)), np.ones((3, 3)))


def test_a_check_on_values_computed_from_arrays_runs_in_c_too():
    """x[argmax(v)]: the index is computed from values, its range checked when it is known."""
    require_compiler()
    x, v = T.dmatrix("x"), T.dvector("v")
    f = function([x, v], x[T.argmax(v)].shape, backend="c")
    assert f.backend == "c" and "Subtensor" not in _ops(f)
    assert list(f(np.ones((3, 2)), np.array([0.0, 5.0, 1.0]))) == [2]
    with pytest.raises(IndexError, match="index 4 is out of range for axis 0 of length 3"):
        f(np.ones((3, 2)), np.array([0.0, 0.0, 0.0, 0.0, 5.0]))


SETS_A_LENGTH = [  # an inferred length that another node needs before anything is computed
    ("float-arange", lambda: [T.lscalar("n")],
     lambda n: T.zeros((T.arange(0.0, n, 0.5).shape[0], 2)), [[5], [0]]),
    ("float-arange-of-inputs", lambda: [T.dscalar("a"), T.dscalar("h")],
     lambda a, h: T.zeros((T.arange(a, 3.0, h).shape[0],)), [[0.5, 0.25], [0.0, 0.0]]),
    ("repeat-counts", lambda: [T.dmatrix("x"), T.lvector("r")],
     lambda x, r: T.zeros(T.repeat(x, r, axis=1).shape) + 1,
     [[np.ones((2, 3)), np.array([1, 0, 2])], [np.ones((2, 3)), np.array([1, -1, 2])]]),
    ("index-vector", lambda: [T.dmatrix("x"), T.lvector("i")],
     lambda x, i: T.zeros((x[i].shape[0], 3)),
     [[np.ones((3, 2)), np.array([0, 2, -3])], [np.ones((3, 2)), np.array([0, 3])]]),
    ("reshape-target", lambda: [T.dmatrix("x"), T.lvector("s")],
     lambda x, s: T.ones(x.reshape(s, ndim=2).shape),
     [[np.ones((2, 6)), np.array([3, -1])], [np.ones((2, 6)), np.array([5, -1])]]),
]


@pytest.mark.parametrize("case", SETS_A_LENGTH, ids=[c[0] for c in SETS_A_LENGTH])
def test_an_inferred_length_is_computed_with_the_shapes_in_c(case):
    """The lengths shape inference writes (float arithmetic, a sum of counts, an index vector's
    range check) are computed with the shapes in C, as the shape read they replace was: an
    alloc of such a length still runs in C, and fails there as the op would."""
    require_compiler()
    _, make_inputs, build, calls = case
    inputs = make_inputs()
    out = build(*inputs)
    in_c = function(inputs, out, backend="c")
    assert in_c.backend == "c", in_c.fallback_reason
    on_numpy = function(inputs, out, backend="numpy")
    for values in calls:
        want, got = _run(on_numpy, *values), _run(in_c, *values)
        if isinstance(want, type):
            assert got is want
        else:
            np.testing.assert_array_equal(got[0], want[0])


# --- random graphs ----------------------------------------------------------------------------


def _grow(values, kind, i, j):
    """A new value from earlier ones (matrices "m", vectors "v"), or None."""
    mats = [v for k, v in values if k == "m"]
    vecs = [v for k, v in values if k == "v"]
    m, b = mats[i % len(mats)], mats[j % len(mats)]
    v = vecs[j % len(vecs)]
    steps = [
        lambda: ("m", T.exp(m) + b),
        lambda: ("m", m * v),                             # v along rows
        lambda: ("m", m + v.dimshuffle(0, "x")),          # v along columns
        lambda: ("m", m.T),
        lambda: ("m", m[::-(1 + i % 3), (j % 3) - 1:]),   # negative steps, bounds from the end
        lambda: ("m", T.dot(m, b)),
        lambda: ("v", T.sum(m, axis=j % 2)),
        lambda: ("v", T.max(m, axis=i % 2)),
        lambda: ("m", T.concatenate([m, b], axis=(i + j) % 2)),
        lambda: ("m", m.reshape((i % 3 + 1, -1))),
        lambda: ("v", m.flatten()[j % 4:]),
        lambda: ("m", T.set_subtensor(m[1:], b[:-1])),
        lambda: ("m", T.alloc(v, 2, v.shape[0]) * 2.0),
        lambda: ("v", T.dot(m, v)),
        lambda: ("m", T.nnet.softmax(m)[:, ::2]),
        lambda: ("v", m[i % 4 - 2]),
        lambda: ("m", T.tile(m, (1, 1 + j % 2))),
        lambda: ("m", m[T.arange(v.shape[0]) % 2]),
    ]
    return steps[kind % len(steps)]()


random_programs = st.lists(st.tuples(st.integers(0, 17), st.integers(0, 9),
                                     st.integers(0, 9)), min_size=1, max_size=6)


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(program=random_programs, rows=st.integers(0, 4), cols=st.integers(0, 4),
       length=st.integers(0, 4), seed=st.integers(0, 2**16))
def test_random_graphs_have_the_shapes_they_compute(program, rows, cols, length, seed):
    """The shapes of random graphs' values, asked alone (both backends), are those computing
    the values gives, or both fail with an error of the same kind."""
    require_compiler()
    a, b, v = T.dmatrix("a"), T.dmatrix("b"), T.dvector("v")
    values = [("m", a), ("m", b), ("v", v)]
    for step in program:
        values.append(_grow(values, *step))
    outs = [value for _, value in values[3:]][-2:]
    rng = np.random.default_rng(seed)
    args = [rng.uniform(-1, 1, (rows, cols)), rng.uniform(-1, 1, (cols, rows)),
            rng.uniform(-1, 1, length)]
    want = _outcome(function([a, b, v], outs, backend="numpy", on_unused_input="ignore"), *args)
    for backend in BACKENDS:
        f = function([a, b, v], [o.shape for o in outs], backend=backend,
                     on_unused_input="ignore")
        assert _shapes(f, *args) == want, (backend, [str(o) for o in outs])


def test_messages_name_the_shapes_as_the_op_does():
    """The check's message is the op's (NumPy backend's message with the node appended)."""
    x, y = T.dmatrix("x"), T.dmatrix("y")
    out = T.dot(x, y)
    values = (np.ones((2, 3)), np.ones((4, 5)))
    with pytest.raises(ValueError) as by_the_op:
        function([x, y], out, backend="numpy")(*values)
    with pytest.raises(ValueError) as by_the_shape:
        function([x, y], out.shape, backend="numpy")(*values)
    first_line = re.escape(str(by_the_op.value).splitlines()[0])
    assert re.match(first_line, str(by_the_shape.value))
    assert isinstance(by_the_shape.value, ValueError)
    assert any(isinstance(n.op, CheckShapes) for n in
               function([x, y], out.shape).maker.fgraph.toposort())
