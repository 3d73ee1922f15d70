"""Every tutorial runs top to bottom in a fresh kernel, as a reader would run it."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

TUTORIALS = Path(__file__).resolve().parents[2] / "tutorials"
NOTEBOOKS = sorted(TUTORIALS.glob("[0-9][0-9]_*.ipynb"))

# What the text of a tutorial says a cell prints: (a line of the cell's source, text its output
# must contain). A change in the compiler that makes a tutorial's prose wrong fails here.
CLAIMS = {
    "03_shared_variables_and_updates": [
        ('print("state [key, draws]:"', " 2]"),  # f's two calls advanced it, g's did not
    ],
    "05_derivatives": [
        ("for record in f.history", "pow_two"),
        ("for record in f.history", "mul_by_one"),
        ("for record in f.history", "pow_one"),
        ("print(replay.text(step))", "convert_to_float64"),
        ("before = gl.function(", "Composite{(exp(i0) + i1)}"),
        ("gl.debugprint(after)", "CheckShapes{Elemwise{add,no_inplace}}"),
        ("gl.debugprint(after)", "[2 3]"),
        ("after(np.ones((2, 3)), np.ones((3, 3)))",
         "ValueError: Elemwise{add,no_inplace}: input shapes (2, 3), (3, 3) do not broadcast"),
        ("for record in after.history", "shape_inference  shape_i_inferred"),
        ("(T.exp(a) + a).shape", "Shape [id A]\n |a"),
    ],
    "06_logistic_regression": [
        ("by_step.items()", "stabilize       1 × sigmoid_from_division"),
        ("by_step.items()", "× log_sigmoid"),
    ],
    "07_inside_the_compiler": [
        ('print(c_function(f.c_source, "gl_flat_"))', "exp(y_1)"),
        ('print(c_function(f.c_source, "gl_flat_"))', "sin(x0)"),
        ("print(compute_part(f.c_source))", "gl_parallel(gl_ew_task_v1"),
    ],
    "08_many_classes": [
        ("print(g.owner.op)", "AdvancedIncSubtensor{no_inplace,inc}"),
        ("print(gl.function([p], T.grad(twice.sum(), p))(P))", "[[0. 2. 0.]"),
        ("gl.debugprint(loss)", "LogSoftmax"),
        ("print(scores_loss(", "[800.]"),
        ("for step in range(201):", "backend c"),
    ],
    "09_scan": [
        ("def step(v, acc):", "step called with x[t] and out0[t-1]"),
        ("print(f.backend, ", "c | None"),
        ("print(f.backend, ", "c | (out0[t-1] + x[t])"),
        ("explorer.path = explorer.bodies[:1]",
         "['running_sum', 'body of Scan{scan_fn}']\nTrue\n['running_sum']"),
        ("print(polynomial(", "19.0"),
        ("print(gl.function([start], fib)([1, 1]))", "[  2   3   5   8  13  21  34  55  89 144]"),
        ("gx, gs0, ga = grads(", "[0.0625 0.125  0.25   0.5    1.    ] 0.03125\n[0.0625"),
        ("text = gl.debugprint(grads", "Scan{grad_of_scan_fn}"),
        ("text = gl.debugprint(grads", "owed_to_out0"),
        ("text = gl.debugprint(grads", "sum_grad_a"),
        ("print(M_val + M_val.T)", "[ 8. 12. 16.]]\n[[ 0.  4.  8.]"),
    ],
    "10_more_derivatives": [
        ("print(np.allclose(lop(", "True"),
        ("print(rop.backend, rop.fallback_reason)", "c None"),
        ("print(np.allclose(hessian_vector(", "True"),
        ("print(free_value, held_value)", "3.0 -3.0"),
        ("for row in g(", "[-32.    0.5 108. ]\n[-1.   0.5  1. ]\n[1. 1. 1.]"),
    ],
    "11_conditions_and_printing": [
        ("print(f_lazy.backend", "c\nc | None"),
        ("branch_lines = [", "lines test the condition; the first ones:\nint gl_cond0 = 0;"),
        ("branch_lines = [", "if (gl_cond0) {"),
        ("g = gl.function([c, v], chosen)", "then branch __str__ = [2. 4.]\n6.0\n"
                                            "else branch __str__ = [2. 3.]\n5.0"),
        ("both = T.switch(", "then side __str__ = [2. 4.]\nelse side __str__ = [2. 3.]"),
        ("safe = gl.function(", "20.0 -1.0\nIndexError: Subtensor{?}: index 5 is out of range"),
        ("print(grad_v(", "[2. 4.] [3. 3.]"),
        ("fit_other = fit.copy(", "[1.16  1.648]\n0.06212266666666665 0.06212266666666665 c"),
    ],
    "12_where_the_time_goes": [
        ("print(train.profile.summary(limit=6))",
         "Profile of function 'train' (backend c): 500 call(s)"),
        ("print(type(hottest.op).__name__)", "DotMapGemv"),
        ("print(slow.profile.summary(limit=4))", "(backend numpy): 500 call(s)"),
        ('print(f"{p.calls} calls', "20000 calls"),
        ('print(explorer.details["op"]', "DotMapGemv | "),
    ],
}


def test_the_tutorials_are_numbered_in_order():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers == list(range(1, len(NOTEBOOKS) + 1)), [p.name for p in NOTEBOOKS]


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_tutorial_runs_top_to_bottom_in_a_fresh_kernel(path: Path, tmp_path: Path):
    # Run a copy, so that whatever a notebook writes lands in tmp_path and not in the repo.
    workdir = tmp_path / "tutorials"
    shutil.copytree(TUTORIALS, workdir, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    notebook = nbformat.read(workdir / path.name, as_version=4)
    client = NotebookClient(notebook, timeout=180, kernel_name="python3",
                            resources={"metadata": {"path": str(workdir)}})
    client.execute()
    errors = [out for cell in notebook.cells if cell.cell_type == "code"
              for out in cell.get("outputs", []) if out.output_type == "error"]
    assert not errors, errors
    for line, expected in CLAIMS.get(path.stem, []):
        printed = ["".join(out.get("text", "") for out in cell.outputs)
                   for cell in notebook.cells if cell.cell_type == "code" and line in cell.source]
        assert printed, f"no cell has the line {line!r}"
        assert expected in printed[0], (line, expected, printed[0][:2000])
