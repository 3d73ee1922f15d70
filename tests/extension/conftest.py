"""Fixtures for the extension tests: an IPython shell with the extension loaded, and small graphs
whose rewrite history is made by hand (so the tests do not depend on the optimizer's rules)."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.testing.globalipapp import start_ipython

import graphlab_kernel as G
import graphlab_kernel.tensor as T


@pytest.fixture
def ip():
    """The test InteractiveShell with graphlab_extension loaded (unloaded afterwards)."""
    start_ipython()  # once per process; later calls keep the same shell
    shell = InteractiveShell.instance()
    formatter = shell.display_formatter
    active = formatter.active_types
    formatter.active_types = list(formatter.format_types)  # as a notebook frontend would: HTML too
    shell.run_line_magic("load_ext", "graphlab_extension")
    yield shell
    shell.run_line_magic("unload_ext", "graphlab_extension")
    formatter.active_types = active


@pytest.fixture
def rewritten():
    """A NO_OPT function `x * 1 + y` with one hand-made rewrite `x * 1 -> x` in its history."""
    x, y = T.dvector("x"), T.dvector("y")
    f = G.function([x, y], x * 1 + y, mode="NO_OPT", name="f")
    fgraph = f.maker.fgraph
    add_node = fgraph.outputs[0].owner
    product = add_node.inputs[0]
    x_in = fgraph.inputs[0]
    fgraph.replace_all([(product, x_in)], rule="mul_by_one", doc="x * 1 -> x")
    return f
