"""The C backend: the whole optimized graph becomes one C function, compiled once (and cached).

A graph containing an op that has no C form yet runs on the NumPy backend instead, whole; the
compiled function then reports `f.backend == "numpy"`, and `f.fallback_reason` says why (see
`CBackend.compile`).
"""

from __future__ import annotations

import warnings

from graphlab_kernel.backend.c.codegen import Unsupported, render
from graphlab_kernel.backend.c.runtime import CompileError, toolchain_problem
from graphlab_kernel.backend.numpy_backend import NumpyBackend
from graphlab_kernel.backend.profile import ProfileCounters


class CBackend:
    """Generate, compile and call C for the whole graph. With `loop_entry` (a Scan's body), the
    compiled function's runner also has `.loop`, which runs all the steps of a loop in one call
    (runtime.make_loop)."""

    name = "c"

    def __init__(self, loop_entry: bool = False, profile: bool = False):
        self.loop_entry = loop_entry
        self.profile = profile  # the module times its nodes (codegen._profile_statics)

    def compile(self, fgraph):
        from graphlab_kernel.backend.c import runtime
        try:
            rendered = render(fgraph, loop_entry=self.loop_entry, profile=self.profile)
        except Unsupported as exc:
            return _numpy_fallback(fgraph, str(exc), self.profile)
        except Exception as exc:  # a code generator bug must not stop the user's function
            warnings.warn(f"graphlab: C code generation failed ({type(exc).__name__}: {exc}); "
                          "running this function with the NumPy backend", RuntimeWarning,
                          stacklevel=3)
            return _numpy_fallback(fgraph, f"C code generation failed ({type(exc).__name__}: "
                                           f"{exc})", self.profile)
        try:
            mod = runtime.load(rendered)
        except (CompileError, OSError, ImportError) as exc:
            warnings.warn(f"graphlab: {exc}\nrunning this function with the NumPy backend",
                          RuntimeWarning, stacklevel=3)
            return _numpy_fallback(fgraph, f"compiling the C source failed ({exc})",
                                   self.profile)
        run = runtime.make_runner(mod, rendered, fgraph)
        run.c_source = rendered.source
        run.backend_name = "c"
        run.loop = runtime.make_loop(mod, rendered) if rendered.loop_entry else None
        run.scalar_call = (runtime.make_scalar_call(mod, fgraph) if rendered.scalar_entry
                           else None)
        if rendered.profiled is not None:  # its counters are the module's last hidden input
            run.profile = ProfileCounters(rendered.profiled, rendered.shape_nodes,
                                          rendered.hidden_inputs[-1])
        return run


def _numpy_fallback(fgraph, reason: str, profile: bool = False):
    # a Scan's loop body still runs in C
    run = NumpyBackend(inner_backend="c", profile=profile).compile(fgraph)
    run.backend_name = "numpy"
    run.fallback_reason = reason
    return run


__all__ = ["CBackend", "CompileError", "Unsupported", "toolchain_problem"]
