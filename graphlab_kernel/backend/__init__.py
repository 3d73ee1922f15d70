"""Backends turn an optimized FunctionGraph into a callable: `compile(fgraph)` returns
`run(values) -> outputs`, where values and outputs follow fgraph.inputs and fgraph.outputs."""

from __future__ import annotations

from graphlab_kernel.backend.numpy_backend import NumpyBackend

BACKENDS = {"numpy": NumpyBackend}


def get_backend(name: str | None):
    """The backend called `name` ('numpy'), or the default one when `name` is None."""
    if name is None:
        name = "numpy"
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; expected one of {', '.join(BACKENDS)}")
    return BACKENDS[name]()
