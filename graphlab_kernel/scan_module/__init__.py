"""Loops in a graph: `scan` (Theano's), its Scan op and the op's gradient (a backward Scan)."""

from graphlab_kernel.scan_module.builder import scan
from graphlab_kernel.scan_module.op import InnerGraph, Scan

__all__ = ["InnerGraph", "Scan", "scan"]
