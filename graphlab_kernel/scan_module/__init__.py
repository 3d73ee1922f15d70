"""Loops in a graph: `scan` (Theano's), its Scan op and the op's gradient (a backward Scan), and
the shorthands `map`, `reduce`, `foldl` and `foldr`."""

from graphlab_kernel.scan_module.builder import scan, until
from graphlab_kernel.scan_module.op import InnerGraph, Scan
from graphlab_kernel.scan_module.shortcuts import foldl, foldr, map, reduce  # noqa: A004

__all__ = ["InnerGraph", "Scan", "foldl", "foldr", "map", "reduce", "scan", "until"]
