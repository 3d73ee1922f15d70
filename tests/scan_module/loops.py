"""Compiling a function holding loops on a given backend, and checking where each part runs."""

from __future__ import annotations


from graphlab_kernel import function
from graphlab_kernel.scan_module import Scan
from tests.toolchain import require_compiler

BACKENDS = ("numpy", "c")


def loops_in(f) -> list[Scan]:
    """The Scan ops of a compiled function's graph."""
    return [node.op for node in f.maker.fgraph.toposort() if isinstance(node.op, Scan)]


def compile_on(backend: str, inputs, outputs, **kwargs):
    """`function(inputs, outputs, backend=backend)`, checked: the function and every loop body
    run on the backend asked for (see _check_backends)."""
    if backend == "c":
        require_compiler()
    f = function(inputs, outputs, backend=backend, **kwargs)
    assert loops_in(f), "the function has no loop left"
    _check_backends(f, backend)
    return f


def _check_backends(f, backend: str) -> None:
    """The function and its loop bodies run on the backend asked for. In C, each loop node is a
    call from the C back into Python (which runs the loop), and a body without loops of its own
    runs all of a loop's steps in one C call (its module's gl_loop)."""
    assert f.backend == backend and f.fallback_reason is None, (f.backend, f.fallback_reason)
    loops = loops_in(f)
    if backend == "c":
        in_python = [n.op for n in getattr(f._run, "python_nodes", None).nodes] if loops else []
        assert in_python == loops
    for op in loops:
        body = op.body(backend)
        _check_backends(body, backend)
        runs_steps_in_c = backend == "c" and not loops_in(body)
        assert (getattr(body._run, "loop", None) is not None) == runs_steps_in_c
