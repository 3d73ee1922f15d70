"""The seed tutorial (tests/theano_tutorial.txt, a copy of the project's specification) runs as a
notebook with `theano` replaced by `graphlab_kernel`, and every cell prints what the seed prints."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

SEED = Path(__file__).with_name("theano_tutorial.txt")

# (execution count, code, expected output). Cells run in execution-count order, as they ran in the
# seed's notebook (cell 35 relies on cell 28's `import theano`). Expected output is the cell's
# printed text plus its displayed values, joined by newlines; a compiled regex matches instead.
CELLS: list[tuple[int | None, str, str | re.Pattern | None]] = [
    (2, "import numpy as np\nimport theano.tensor as T\nfrom theano import function", ""),
    (3, "x = T.dscalar('x')\ny = T.dscalar('y')", ""),
    (4, "type(x)", "theano.tensor.var.TensorVariable"),
    (5, "x.type", "TensorType(float64, scalar)"),
    (6, "T.dscalar", "TensorType(float64, scalar)"),
    (7, "x.type is T.dscalar", "True"),
    (8, "z = x + y", ""),
    (9, "from theano import pp\nprint(pp(z))", "(x + y)"),
    (10, "f = function([x, y], z)", ""),
    (11, "f(2, 3)", "array(5.)"),
    (12, "x = T.dmatrix('x')\ny = T.dmatrix('y')\nz = x + y\nf = function([x, y] , z)", ""),
    (13, "f([[1,2],[3,4]], [[10,20],[30,40]])", "array([[11., 22.],\n       [33., 44.]])"),
    (14, "f(np.array([[1,2], [3,4]]), np.array([[10,20], [30,40]]))",
     "array([[11., 22.],\n       [33., 44.]])"),
    (15, "from theano import shared\nstate = shared(0)\ninc = T.iscalar('inc')\n"
         "accumulator = function([inc], state, updates=[(state, state+inc)])", ""),
    (16, "print(state.get_value())", "0"),
    (17, "accumulator(1)", "array(0)"),
    (18, "print(state.get_value())", "1"),
    (19, "accumulator(300)", "array(1)"),
    (20, "print(state.get_value())", "301"),
    (21, "state.set_value(-1)", ""),
    (22, "accumulator(3)", "array(-1)"),
    (23, "print(state.get_value())", "2"),
    (24, "decrementor = function([inc], state, updates=[(state, state-inc)])", ""),
    (25, "decrementor(2)", "array(2)"),
    (26, "print(state.get_value())", "0"),
    (28, "import numpy as np\nimport theano \nimport theano.tensor as T\nrng = np.random", ""),
    (29, "from theano import pp", ""),
    (33, "x = T.dscalar('x')\ny = x ** 2\ngy = T.grad(y, x)\n"
         "display(pp(gy)) # Pretty print gradient prior to optimization\n\n"
         "f = theano.function([x], gy)\nf(4)",
     "'((fill((x ** TensorConstant{2}), TensorConstant{1.0}) * TensorConstant{2}) * "
     "(x ** (TensorConstant{2} - TensorConstant{1})))'\narray(8.)"),
    (34, "x = T.dmatrix('x')\ny = T.dmatrix('y')\nz = x + y", ""),
    (35, "x = theano.tensor.dmatrix('x')\ny = x * 2", ""),
    (36, "type(y.owner)", "theano.gof.graph.Apply"),
    (38, "y.owner.op.name", "'Elemwise{mul,no_inplace}'"),
    (39, "len(y.owner.inputs)", "2"),
    (42, "y.owner.inputs[0]", "x"),
    (43, "y.owner.inputs[1]", "InplaceDimShuffle{x,x}.0"),
    (44, "type(y.owner.inputs[1])", "theano.tensor.var.TensorVariable"),
    (45, "type(y.owner.inputs[1].owner)", "theano.gof.graph.Apply"),
    (46, "y.owner.inputs[1].owner.op",
     re.compile(r"<theano\.tensor\.elemwise\.DimShuffle at 0x[0-9a-f]+>")),
    (47, "y.owner.inputs[1].owner.inputs", "[TensorConstant{2}]"),
    (None, None, None),  # the logistic regression: the seed's last cell, checked separately
]


def _to_graphlab(text):
    if isinstance(text, re.Pattern):
        return re.compile(text.pattern.replace("theano", "graphlab_kernel"))
    return text.replace("theano", "graphlab_kernel")


def _seed_text() -> str:
    return SEED.read_text()


def _logistic_regression_code() -> str:
    text = _seed_text()
    return text[text.index("In [None]:") + len("In [None]:"):].strip("\n")


def _run_notebook(sources: list[str], timeout: int = 600) -> list:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=False).execute()
    return nb.cells


def _cell_output(cell) -> str:
    parts = []
    for out in cell.outputs:
        if out.output_type == "stream":
            parts.append(out.text.rstrip("\n"))
        elif out.output_type in ("execute_result", "display_data"):
            parts.append(out.data["text/plain"])
    return "\n".join(parts)


def test_every_cell_is_transcribed_verbatim_from_the_seed():
    text = _seed_text()
    markers = re.findall(r"^In \[(\d+|None)\]:$", text, flags=re.MULTILINE)
    assert [str(n) if n is not None else "None" for n, _, _ in CELLS] == sorted(
        markers, key=lambda m: (m == "None", int(m) if m != "None" else 0))
    for number, code, _ in CELLS[:-1]:
        assert f"In [{number}]:\n{code}\n" in text, f"cell {number} differs from the seed"


@pytest.fixture(scope="module")
def executed_cells():
    return _run_notebook([_to_graphlab(code) for _, code, _ in CELLS[:-1]])


@pytest.mark.notebook
@pytest.mark.parametrize("position", range(len(CELLS) - 1), ids=lambda p: f"In[{CELLS[p][0]}]")
def test_seed_cell_prints_what_the_seed_prints(executed_cells, position):
    _, _, expected = CELLS[position]
    got = _cell_output(executed_cells[position])
    expected = _to_graphlab(expected)
    if isinstance(expected, re.Pattern):
        assert expected.fullmatch(got), got
    else:
        assert got == expected


@pytest.mark.notebook
def test_seed_logistic_regression_trains_to_separate_the_data():
    imports = _to_graphlab("import numpy as np\nimport theano\n"
                           "import theano.tensor as T\nrng = np.random\nnp.random.seed(0)")
    check = ("import numpy as np\n"
             "final_w = w.get_value()\n"
             "print('finite:', bool(np.isfinite(final_w).all()) and bool(np.isfinite(b.get_value())))\n"
             "print('accuracy:', float((predict(D[0]) == D[1]).mean()))")
    cells = _run_notebook([imports, _to_graphlab(_logistic_regression_code()), check])
    printed = _cell_output(cells[1])
    for heading in ("Initial model:", "Final model:", "target values for D:", "prediction on D:"):
        assert heading in printed
    assert _cell_output(cells[2]) == "finite: True\naccuracy: 1.0"
