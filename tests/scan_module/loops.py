"""Compiling a function holding loops on a given backend, and checking where each part runs."""

from __future__ import annotations


from graphlab_kernel import function
from graphlab_kernel.scan_module import Scan
from graphlab_kernel.scan_module.op import NO_C_REASON
from tests.toolchain import require_compiler

BACKENDS = ("numpy", "c")


def loops_in(f) -> list[Scan]:
    """The Scan ops of a compiled function's graph."""
    return [node.op for node in f.maker.fgraph.toposort() if isinstance(node.op, Scan)]


def compile_on(backend: str, inputs, outputs, **kwargs):
    """`function(inputs, outputs, backend=backend)`, checked: the graph around the loops runs on
    NumPy; asked for C, it says why, and each loop body runs in C; asked for NumPy, everything
    does."""
    if backend == "c":
        require_compiler()
    f = function(inputs, outputs, backend=backend, **kwargs)
    assert loops_in(f), "the function has no loop left"
    _check_backends(f, backend)
    return f


def _check_backends(f, backend: str) -> None:
    """Asked for C, a function holding loops runs on NumPy and says why, and loop bodies
    without loops of their own run in C; asked for NumPy, everything does."""
    loops = loops_in(f)
    if not loops:
        assert f.backend == backend and f.fallback_reason is None
        return
    assert f.backend == "numpy"
    assert f.fallback_reason == (NO_C_REASON if backend == "c" else None)
    for op in loops:
        body = op.body(backend)
        _check_backends(body, backend)
        # a body in C runs all of a loop's steps in one call (its module's gl_loop)
        assert (getattr(body._run, "loop", None) is not None) == (body.backend == "c")
