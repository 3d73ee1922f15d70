"""Theano's shorthands for common loops, each one `scan`: `map` applies a function to each row
of its sequences, `reduce` (and `foldl`, `foldr`) keeps only the last value of an accumulation."""

from __future__ import annotations

from collections.abc import Callable

from graphlab_kernel.scan_module.builder import scan


def map(fn: Callable, sequences, non_sequences=None, truncate_gradient: int = -1,  # noqa: A001
        go_backwards: bool = False, *, mode=None, name: str | None = None):
    """`fn` applied to each row of `sequences` (with `non_sequences` passed unchanged), as
    Theano's `theano.map`: a scan with no fed-back output. Returns `(outputs, updates)`."""
    return scan(fn, sequences=sequences, outputs_info=None, non_sequences=non_sequences,
                truncate_gradient=truncate_gradient, go_backwards=go_backwards, mode=mode,
                name=name)


def reduce(fn: Callable, sequences, outputs_info, non_sequences=None,  # noqa: A001
           go_backwards: bool = False, *, mode=None, name: str | None = None):
    """The last step's value of the scan of `fn` (each accumulator after every row), as
    Theano's `theano.reduce`: `reduce(lambda v, acc: acc + v, x, 0.0)` is the sum of x.
    Returns `(outputs, updates)`, one output per output of `fn`."""
    outputs, updates = scan(fn, sequences=sequences, outputs_info=outputs_info,
                            non_sequences=non_sequences, go_backwards=go_backwards, mode=mode,
                            name=name)
    if isinstance(outputs, list):
        return [o[-1] for o in outputs], updates
    return outputs[-1], updates


def foldl(fn: Callable, sequences, outputs_info, non_sequences=None, *, mode=None,
          name: str | None = None):
    """`reduce` from the first row to the last (Theano's `theano.foldl`)."""
    return reduce(fn, sequences, outputs_info, non_sequences, go_backwards=False, mode=mode,
                  name=name)


def foldr(fn: Callable, sequences, outputs_info, non_sequences=None, *, mode=None,
          name: str | None = None):
    """`reduce` from the last row to the first (Theano's `theano.foldr`)."""
    return reduce(fn, sequences, outputs_info, non_sequences, go_backwards=True, mode=mode,
                  name=name)
