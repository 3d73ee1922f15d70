"""A notebook using every flag of %%symbolic, executed by nbclient in a fresh kernel.

The notebook is generated from CELLS (run `python tests/extension/test_notebook.py` to write it
next to this file for a look in JupyterLab).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

WIDGET = "application/vnd.jupyter.widget-view+json"

SETUP = """\
%load_ext graphlab_extension
import numpy as np
import graphlab_kernel as G
import graphlab_kernel.tensor as T"""

# (source, tags)
CELLS: list[tuple[str, list[str]]] = [
    (SETUP, []),
    ("%%symbolic\nx = T.dscalar('x')\ny = x ** 2\ngy = T.grad(y, x)\nf = G.function([x], gy)\n"
     "f(4)", []),
    ("%%symbolic --show before --style structure\na = T.dmatrix('a')\nb = T.dmatrix('b')\n"
     "c = a + b", []),
    ("%%symbolic --show after --no-widgets\nd = T.exp(a) * 1 + 0", []),
    ("%%symbolic --show both --style compact --save picture.svg\ne = T.log(T.exp(a))", []),
    ("%%symbolic --show steps\nh = G.function([a], T.exp(a) * 1 + 0)", []),
    ("%%symbolic --show code\nk = G.function([a, b], a * b + 1)", []),
    ("%%symbolic --max-nodes 40\nv = T.dvector('v')\nw = v\nfor i in range(60):\n"
     "    w = T.exp(w) * 2\n", []),
    ("%%symbolic --show sideways\nnothing = 1", ["raises-exception"]),
    ("%%symbolic\nboom = 1 / 0", ["raises-exception"]),
    ("%%symbolic\nrng = np.random.default_rng(0)\nX = rng.standard_normal((50, 4))\n"
     "Y = (X @ np.arange(4.0) > 0).astype(float)\nx2, y2 = T.dmatrix('x2'), T.dvector('y2')\n"
     "W = G.shared(np.zeros(4), name='W')\np = 1 / (1 + T.exp(-T.dot(x2, W)))\n"
     "cost = (-y2 * T.log(p) - (1 - y2) * T.log(1 - p)).mean()\n"
     "train = G.function([x2, y2], cost, updates=[(W, W - 0.5 * T.grad(cost, W))])", []),
    ("for _ in range(300):\n    train(X, Y)\nprint(W.get_value().round(3).tolist())", []),
    ("%unload_ext graphlab_extension", []),
    ("%%symbolic\nq = 1", ["raises-exception"]),
]


def make_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src, metadata={"tags": tags}) for src, tags in CELLS]
    return nb


def _mimes(cell) -> set[str]:
    return {m for out in cell.outputs for m in out.get("data", {})}


def _html(cell) -> str:
    return "".join(out.get("data", {}).get("text/html", "") for out in cell.outputs)


def _errors(cell) -> list[str]:
    """Error names shown by the cell (IPython prints a UsageError to stderr, with no traceback)."""
    names = [out.ename for out in cell.outputs if out.output_type == "error"]
    names += ["UsageError" for out in cell.outputs
              if out.output_type == "stream" and out.text.startswith("UsageError")]
    return names


@pytest.mark.notebook
def test_notebook_with_every_flag_runs(tmp_path):
    nb = make_notebook()
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    cells = nb.cells
    assert WIDGET in _mimes(cells[1]) and "gl-side-by-side" in _html(cells[1])
    assert cells[1].outputs[-1].data["text/plain"] == "array(8.)"
    assert "gl-style-structure" in _html(cells[2]) and "after optimization" not in _html(cells[2])
    assert WIDGET not in _mimes(cells[3]) and "after optimization" in _html(cells[3])
    assert (tmp_path / "picture.svg").read_text().startswith("<svg")
    assert WIDGET in _mimes(cells[5]) and WIDGET in _mimes(cells[6])
    assert "gl-collapsed" in _html(cells[7])
    assert _errors(cells[8]) == ["UsageError"] and "sideways" in cells[8].outputs[0].text
    assert _errors(cells[9]) == ["ZeroDivisionError"]
    assert WIDGET in _mimes(cells[10])
    assert _errors(cells[11]) == [] and "[" in cells[11].outputs[0].text
    assert _errors(cells[13]) == ["UsageError"]  # the magic is gone after %unload_ext


if __name__ == "__main__":
    target = Path(__file__).with_name("symbolic_flags.ipynb")
    nbformat.write(make_notebook(), target)
    print(f"wrote {target}")
