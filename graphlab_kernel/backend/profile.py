"""The counters a profiled runner keeps (function(..., profile=True); compile/profiling.py).

Both backends keep them the same way, as one int64 array: calls completed, nanoseconds in the
runner, nanoseconds in its shape code (the C backend's; 0 on NumPy), then nanoseconds per timed
node. The C backend's array is a hidden input of the generated module, so that functions sharing
one compiled module (the same source) still count apart.
"""

from __future__ import annotations

import numpy as np

CALLS, TOTAL, SHAPES, HEAD = 0, 1, 2, 3


class ProfileCounters:
    """`nodes` are the nodes timed one by one, in counter order (the order they run in);
    `shape_nodes` those run with the shape code, whose time is in the shape code's."""

    def __init__(self, nodes, shape_nodes=(), counts: np.ndarray | None = None):
        self.nodes = list(nodes)
        self.shape_nodes = list(shape_nodes)
        self.counts = counts if counts is not None else new_counts(len(self.nodes))

    def read(self) -> list[int]:
        return self.counts.tolist()

    def reset(self) -> None:
        self.counts[:] = 0


def new_counts(n_nodes: int) -> np.ndarray:
    return np.zeros(HEAD + n_nodes, dtype=np.int64)


__all__ = ["CALLS", "HEAD", "SHAPES", "TOTAL", "ProfileCounters", "new_counts"]
