"""The graphlab IPython extension: `%load_ext graphlab_extension`.

Registers the `%%symbolic` cell magic (see `graphlab_extension.magic`); `%unload_ext` removes it.
The widgets can also be used directly:

    from graphlab_extension import Explorer, FunctionWidget, SharedWidget
"""

from __future__ import annotations

from graphlab_extension.explorer import Explorer
from graphlab_extension.live import FunctionWidget, SharedWidget, flush_all
from graphlab_extension.magic import SymbolicMagics

__all__ = ["Explorer", "FunctionWidget", "SharedWidget", "load_ipython_extension",
           "unload_ipython_extension"]


def _after_cell(*_args) -> None:
    flush_all()


def load_ipython_extension(ipython) -> None:
    """Register `%%symbolic` and show the last values of live shared widgets after each cell."""
    ipython.register_magics(SymbolicMagics)
    ipython.events.register("post_run_cell", _after_cell)


def unload_ipython_extension(ipython) -> None:
    """Remove `%%symbolic` and the post-cell hook."""
    cell_magics = ipython.magics_manager.magics["cell"]
    cell_magics.pop("symbolic", None)
    ipython.magics_manager.registry.pop("SymbolicMagics", None)
    try:
        ipython.events.unregister("post_run_cell", _after_cell)
    except ValueError:
        pass
