"""Backends turn an optimized FunctionGraph into a callable: `compile(fgraph)` returns
`run(values) -> outputs`, where values and outputs follow fgraph.inputs and fgraph.outputs.

The default is "c" when cffi and a C compiler are available (else one warning and "numpy");
GRAPHLAB_BACKEND=numpy in the environment makes NumPy the default.
"""

from __future__ import annotations

import os
import warnings

from graphlab_kernel.backend.c import CBackend
from graphlab_kernel.backend.c.runtime import toolchain_problem
from graphlab_kernel.backend.numpy_backend import NumpyBackend

BACKENDS = {"numpy": NumpyBackend}
_warned: set[str] = set()


def c_backend_problem() -> str | None:
    """Why the C backend is unavailable here (None if it is available)."""
    return toolchain_problem()


def get_backend(name, profile: bool = False):
    """The backend called `name` ('c' or 'numpy'), or the default one when `name` is None; a
    backend object (one with `compile`) is returned as it is. With `profile`, the functions it
    compiles time their nodes (compile/profiling.py)."""
    if hasattr(name, "compile"):
        return name
    if name is None:
        name = os.environ.get("GRAPHLAB_BACKEND") or "c"
    if name == "c":
        problem = c_backend_problem()
        if problem is None:
            return CBackend(profile=profile)
        if problem not in _warned:
            _warned.add(problem)
            warnings.warn(f"graphlab: the C backend is unavailable ({problem}); using the NumPy "
                          "backend", RuntimeWarning, stacklevel=3)
        return NumpyBackend(fallback_reason=f"the C backend is unavailable ({problem})",
                            profile=profile)
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; expected one of c, {', '.join(BACKENDS)}")
    return BACKENDS[name](profile=profile)
