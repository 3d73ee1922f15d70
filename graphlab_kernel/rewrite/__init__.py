"""Graph rewrites. The optimizer proper is built in graphlab_kernel.rewrite.engine (issue 3)."""

from __future__ import annotations


def optimize(fgraph, mode) -> None:
    """Rewrite `fgraph` in place as `mode` says. No rules are registered yet."""
    return None
