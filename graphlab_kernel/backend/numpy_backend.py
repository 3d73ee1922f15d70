"""The reference backend: runs each node's NumPy `perform` in topological order."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from graphlab_kernel.backend.lazy import guards as lazy_guards
from graphlab_kernel.backend.profile import CALLS, HEAD, TOTAL, ProfileCounters
from graphlab_kernel.gof.graph import Constant


class NumpyBackend:
    """Evaluate the graph node by node with NumPy."""

    name = "numpy"

    def __init__(self, fallback_reason: str | None = None, inner_backend: str = "numpy",
                 profile: bool = False):
        self.fallback_reason = fallback_reason  # why it stands in for the C backend, if it does
        # where an op that runs a compiled function of its own (Scan's loop body) compiles it
        self.inner_backend = inner_backend
        self.profile = profile  # time each node (the runner's .profile: ProfileCounters)

    def compile(self, fgraph) -> Callable[[list], list]:
        slots: dict = {}
        template: list = []

        def slot(var) -> int:
            if var not in slots:
                slots[var] = len(template)
                template.append(var.data if isinstance(var, Constant) else None)
            return slots[var]

        for var in fgraph.inputs:
            slot(var)
        n_inputs = len(fgraph.inputs)
        order = fgraph.toposort()
        guards = lazy_guards(fgraph, order)
        blocks: dict[tuple, list] = {}  # a guard -> the steps run when its branches are taken
        profile = ProfileCounters(order) if self.profile else None
        clock = time.perf_counter_ns
        for k, node in enumerate(order):
            lazy = getattr(node.op, "branches", None) is not None
            make_perform = getattr(node.op, "make_perform", None)
            perform = (make_perform(node, self.inner_backend) if make_perform is not None
                       else node.op.perform)
            step = (perform, node, [slot(i) for i in node.inputs],
                    [slot(o) for o in node.outputs], guards[node] if lazy else None,
                    HEAD + k)
            blocks.setdefault(guards[node], []).append(step)
        program = blocks.get((), [])
        out_slots = [slot(o) for o in fgraph.outputs]
        # An output that is an input, a constant or a view must be copied: callers own outputs.
        direct = [o.owner is None or bool(o.owner.op.view_map) or o in fgraph.outputs[:k]
                  for k, o in enumerate(fgraph.outputs)]

        counts = profile.counts if profile is not None else None

        def run_steps(steps: list, storage: list) -> None:
            for perform, node, ins, outs, guard, k in steps:
                if guard is not None:  # a lazy node: first the nodes its branch taken needs
                    taken = node.op.choose(node, storage[ins[0]])
                    run_steps(blocks.get(guard + ((node, taken),), []), storage)
                if counts is not None:
                    start = clock()
                try:
                    results = perform(node, [storage[i] for i in ins])
                except Exception as exc:
                    raise annotated(exc, node, [storage[i] for i in ins]) from None
                for i, r in zip(outs, results):
                    storage[i] = r
                if counts is not None:  # a lazy node's time is its own: its branch's is apart
                    counts[k] += clock() - start

        def run(values: list) -> list:
            start = clock() if counts is not None else 0
            storage = list(template)
            storage[:n_inputs] = values
            run_steps(program, storage)
            results = [np.array(storage[i], copy=True) if d else storage[i]
                       for i, d in zip(out_slots, direct)]
            if counts is not None:
                counts[CALLS] += 1
                counts[TOTAL] += clock() - start
            return results

        run.inner_backend = self.inner_backend  # for tools showing the bodies it runs
        if profile is not None:
            run.profile = profile
        return run


def annotated(exc: Exception, node, values) -> Exception:
    """The same kind of exception, saying which node failed and with which input shapes (or
    the nearest base class that takes a message: NumPy's MemoryError for an allocation too big
    is built from a shape and a dtype, so it becomes a MemoryError)."""
    shapes = ", ".join(f"{inp}: {getattr(v, 'shape', '?')}" for inp, v in zip(node.inputs, values))
    return retold(exc, f"{exc}\n  while computing {node.op} with inputs ({shapes})")


def retold(exc: Exception, message: str) -> Exception:
    """An exception of `exc`'s kind with `message`, or of the nearest base class whose
    constructor takes a message alone."""
    for kind in type(exc).__mro__:
        try:
            return kind(message)
        except Exception:  # noqa: S112 (a constructor of another signature: try its base)
            continue
    return RuntimeError(message)
