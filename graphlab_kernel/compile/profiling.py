"""Where a compiled function's time goes: `function(..., profile=True)`, then `f.profile`.

A profiled function's backend times every node of the optimized graph (the C backend compiles
a variant of the module with a clock read around each node's code; the NumPy backend times each
`perform`), and the function times each whole call from Python. The summary puts the two side
by side: the time in the compiled code, split by node and by op, and the time around it in
Python (argument checks and conversions, output arrays, writing updates).

Timing a node costs two reads of the monotonic clock (some 40 ns), so a profiled function of
tiny nodes runs measurably slower than the same function unprofiled: profile to find where the
time goes, and time the unprofiled function (bench/) for the figure itself.
"""

from __future__ import annotations

from graphlab_kernel.backend.profile import HEAD, SHAPES, TOTAL


class FunctionProfile:
    """The times of one profiled function, accumulated over its calls since the last reset.

    `counters` are the backend runner's (backend/profile.py)."""

    def __init__(self, name: str, backend: str, counters):
        self.name = name
        self.backend = backend
        self._counters = counters
        self.calls = 0          # calls that returned, timed from Python
        self._python_ns = 0     # their whole time, Python side included

    @property
    def nodes(self) -> list:
        """The nodes timed one by one, in the order they run."""
        return list(self._counters.nodes)

    @property
    def shape_nodes(self) -> list:
        """The nodes run with the shape code (small integer computations on shapes, the values
        of lazy conditions): their time is in `shape_seconds`."""
        return list(self._counters.shape_nodes)

    @property
    def seconds(self) -> float:
        """The calls' whole time, measured around each call in Python."""
        return self._python_ns * 1e-9

    @property
    def compiled_seconds(self) -> float:
        """The time inside the backend's runner: the compiled C, or the NumPy backend's loop."""
        return self._counters.read()[TOTAL] * 1e-9

    @property
    def shape_seconds(self) -> float:
        """The time in the C module's shape code: input checks, output sizes, the nodes in
        `shape_nodes` (0 on the NumPy backend, which has none)."""
        return self._counters.read()[SHAPES] * 1e-9

    def node_seconds(self) -> dict:
        """{node: seconds} for the nodes timed one by one, in the order they run."""
        counts = self._counters.read()
        return {node: counts[HEAD + k] * 1e-9 for k, node in enumerate(self._counters.nodes)}

    def op_seconds(self) -> dict[str, tuple[float, int]]:
        """{op: (seconds, number of nodes)} summed over the nodes applying each op, slowest
        first (ops are named as `str(op)` shows them, `Elemwise{exp,inplace}` say)."""
        by_op: dict[str, list] = {}
        for node, seconds in self.node_seconds().items():
            entry = by_op.setdefault(str(node.op), [0.0, 0])
            entry[0] += seconds
            entry[1] += 1
        return {op: (s, n) for op, (s, n) in
                sorted(by_op.items(), key=lambda item: -item[1][0])}

    def reset(self) -> None:
        """Start counting again from zero."""
        self._counters.reset()
        self.calls = 0
        self._python_ns = 0

    def _record(self, nanoseconds: int) -> None:
        self.calls += 1
        self._python_ns += nanoseconds

    def summary(self, limit: int = 15) -> str:
        """A report: the split between the compiled code and Python, the ops, and the `limit`
        slowest nodes (all of them when `limit` is None)."""
        calls = self.calls
        title = f"Profile of {self.name} (backend {self.backend}): {calls} call(s)"
        if not calls:
            return title + "; call it to collect times."
        whole, inner, shapes = self.seconds, self.compiled_seconds, self.shape_seconds
        nodes = self.node_seconds()
        in_nodes = sum(nodes.values())
        where = "the compiled C" if self.backend == "c" else "the NumPy backend's runner"
        lines = [f"{title}, {format_seconds(whole)} in all, "
                 f"{format_seconds(whole / calls)} per call", "",
                 f"  {'':<44}{'total':>10}{'per call':>11}{'share':>8}"]

        def row(label: str, seconds: float, indent: int = 2) -> None:
            share = 100 * seconds / whole if whole else 0.0
            lines.append(f"{'':<{indent}}{label:<{46 - indent}}{format_seconds(seconds):>10}"
                         f"{format_seconds(seconds / calls):>11}{share:>7.1f}%")

        row(f"in {where}", inner)
        if self.backend == "c":
            row("shape code: checks, sizes, shape arithmetic", shapes, 4)
        row("the nodes, one by one (below)", in_nodes, 4)
        rest = inner - shapes - in_nodes
        if self.backend == "c":
            row("the rest: output copies, freeing buffers", max(rest, 0.0), 4)
        row("around it, in Python: checking and converting", max(whole - inner, 0.0))
        lines.append(f"{'':<6}arguments, output arrays, writing updates")

        lines += ["", "Ops, slowest first (time summed over the nodes applying each):",
                  f"  {'share':>6}{'total':>11}{'per call':>11}{'nodes':>7}  op"]
        for op, (seconds, count) in self.op_seconds().items():
            lines.append(f"  {_share(seconds, whole)}{format_seconds(seconds):>11}"
                         f"{format_seconds(seconds / calls):>11}{count:>7}  {_clip(op, 60)}")

        ranked = sorted(enumerate(nodes.items()), key=lambda item: -item[1][1])
        shown = ranked if limit is None else ranked[:limit]
        lines += ["", f"Nodes, slowest first ({len(shown)} of {len(ranked)}; # is the order "
                      "they run in):",
                  f"  {'share':>6}{'total':>11}{'per call':>11}{'#':>5}  node"]
        for k, (node, seconds) in shown:
            lines.append(f"  {_share(seconds, whole)}{format_seconds(seconds):>11}"
                         f"{format_seconds(seconds / calls):>11}{k:>5}  {_clip(str(node), 60)}")
        if self.shape_nodes:
            lines += ["", "Run with the shape code (their time is in its row): "
                      + ", ".join(_clip(str(n), 40) for n in self.shape_nodes)]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return f"<FunctionProfile of {self.name}: {self.calls} call(s), {format_seconds(self.seconds)}>"


def format_seconds(seconds: float) -> str:
    """A duration as people read it: 1.52 ms, 38.21 us, 412 ns."""
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.2f} us"
    return f"{seconds * 1e9:.0f} ns"


def _share(seconds: float, whole: float) -> str:
    return f"{100 * seconds / whole if whole else 0.0:>5.1f}%"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


__all__ = ["FunctionProfile", "format_seconds"]
