"""The rewrite engine: rules, rule sets, graph passes, and the one driver that applies them.

A *rule* is a plain function `rule_name(fgraph, node)` with a one-line docstring (`x * 1 -> x`) that
looks at one Apply node (the root of its pattern) and returns its replacement: a Variable for the
node's single output, a list with one Variable (or None) per output, or None when it does not apply.
`@rule(*roots)` turns such a function into a `Rule`; `roots` are the op classes at the root of the
pattern (for an `Elemwise`, its scalar-op classes), which is how the driver indexes rules so that a
pass costs time proportional to the graph. Nothing registers itself anywhere: rule sets and pipelines
are plain lists built in `graphlab_kernel.rewrite.pipelines`.

Every change goes through `FunctionGraph.replace_all`, which checks that a replacement keeps the
type of what it replaces (the error names the rule) and records the step in `fgraph.history`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence

from graphlab_kernel.gof.fg import FunctionGraph
from graphlab_kernel.gof.graph import Apply, Variable
from graphlab_kernel.tensor.elemwise import Elemwise

RuleFn = Callable[[FunctionGraph, Apply], "Variable | Sequence[Variable | None] | None"]


def _first_line(fn: Callable) -> str:
    doc = (fn.__doc__ or "").strip()
    if not doc:
        raise ValueError(f"rewrite {fn.__name__} needs a one-line docstring such as 'x * 1 -> x'")
    return doc.splitlines()[0]


# Rule, RuleSet and GraphPass are small slotted classes rather than dataclasses: creating a frozen
# dataclass execs generated code, and these three cost 2 ms of every new process's first compile.

class Rule:
    """A named local rewrite: `fn(fgraph, node)` returns the node's replacement(s) or None.
    `roots` are the op or scalar-op classes at the root of its pattern (() means any op)."""

    __slots__ = ("doc", "fn", "name", "roots")

    def __init__(self, name: str, doc: str, roots: tuple[type, ...], fn: RuleFn):
        self.name, self.doc, self.roots, self.fn = name, doc, roots, fn

    def __call__(self, fgraph: FunctionGraph, node: Apply):
        return self.fn(fgraph, node)

    def __repr__(self) -> str:
        return f"Rule({self.name!r}: {self.doc})"


def rule(*roots: type) -> Callable[[RuleFn], Rule]:
    """Make a Rule of a function; `roots` are the classes its pattern's root op may have."""
    def make(fn: RuleFn) -> Rule:
        return Rule(fn.__name__, _first_line(fn), tuple(roots), fn)
    return make


class RuleSet:
    """Local rules applied together, by one driver, until none applies any more."""

    __slots__ = ("doc", "name", "rules")

    def __init__(self, name: str, rules: tuple[Rule, ...], doc: str = ""):
        self.name, self.rules, self.doc = name, tuple(rules), doc

    def without(self, names: Iterable[str]) -> RuleSet:
        """This rule set minus the rules called by one of `names`."""
        names = set(names)
        return RuleSet(self.name, tuple(r for r in self.rules if r.name not in names), self.doc)

    def __repr__(self) -> str:
        return f"RuleSet({self.name!r}, {len(self.rules)} rules)"


class GraphPass:
    """A rewrite that looks at the whole graph at once (merging, fusion, in-place).

    `fn(fgraph)` makes its changes through `fgraph.replace_all(..., rule=name, doc=doc)`.
    """

    __slots__ = ("doc", "fn", "name")

    def __init__(self, name: str, doc: str, fn: Callable[[FunctionGraph], None]):
        self.name, self.doc, self.fn = name, doc, fn

    def __call__(self, fgraph: FunctionGraph) -> None:
        self.fn(fgraph)

    def __repr__(self) -> str:
        return f"GraphPass({self.name!r}: {self.doc})"


def graph_pass(fn: Callable[[FunctionGraph], None]) -> GraphPass:
    """Make a GraphPass of a function of the whole graph, named after it."""
    return GraphPass(fn.__name__, _first_line(fn), fn)


Step = RuleSet | GraphPass


def root_key(node: Apply) -> type:
    """The class rules are indexed by: an Elemwise's scalar-op class, otherwise the op's class."""
    op = node.op
    if isinstance(op, Elemwise):
        return type(op.scalar_op)
    return type(op)


class RuleIndex:
    """Rules by the class at the root of their pattern (subclasses find their bases' rules)."""

    def __init__(self, rules: Sequence[Rule]):
        self._by_class: dict[type, list[Rule]] = {}
        self._any: list[Rule] = []
        for r in rules:
            if not r.roots:
                self._any.append(r)
            for cls in r.roots:
                self._by_class.setdefault(cls, []).append(r)
        self._cache: dict[type, list[Rule]] = {}

    def rules_for(self, node: Apply) -> list[Rule]:
        key = root_key(node)
        found = self._cache.get(key)
        if found is None:
            found = [r for cls in key.__mro__ for r in self._by_class.get(cls, [])] + self._any
            self._cache[key] = found
        return found


class RewriteCycleError(RuntimeError):
    """Rules kept rewriting without reaching a fixed point."""


def _as_pairs(rule_: Rule, node: Apply, result) -> list[tuple[Variable, Variable]]:
    if isinstance(result, Variable):
        result = [result]
    if len(result) != len(node.outputs):
        raise ValueError(f"rewrite {rule_.name!r} returned {len(result)} replacement(s) for "
                         f"{node.op}, which has {len(node.outputs)} output(s)")
    return [(old, new) for old, new in zip(node.outputs, result) if new is not None]


def apply_rules(fgraph: FunctionGraph, rule_set: RuleSet) -> int:
    """Apply `rule_set` to `fgraph` until no rule applies; return the number of rewrites.

    A worklist starts with every node in topological order; a node is visited again whenever it is
    created, one of its inputs changes, the node computing one of its inputs has an input changed
    (rules read the nodes below their root: `neg(neg(x))`), or one of its inputs loses another
    user (a rule may look at who else uses them: combine_constants, shape inference), so the work
    is proportional to the graph plus the edits.
    """
    index = RuleIndex(rule_set.rules)
    queue: deque[Apply] = deque(fgraph.toposort())
    queued: set[Apply] = set(queue)

    def visit(node: Apply) -> None:
        if node not in queued:
            queued.add(node)
            queue.append(node)

    def visit_users(variables, but: Apply | None = None) -> None:
        for var in variables:
            for client, _ in fgraph.clients_of(var):
                if client is not but and not isinstance(client, str):
                    visit(client)

    def listen(event: str, node: Apply) -> None:
        if event == "import":
            visit(node)
        elif event == "change_input":
            visit(node)
            visit_users(node.outputs)
        elif event == "prune":
            visit_users(node.inputs, but=node)

    budget = 50 * (len(fgraph.apply_nodes) + 100)
    applied = 0
    fgraph.listeners.append(listen)
    try:
        while queue:
            node = queue.popleft()
            queued.discard(node)
            if node not in fgraph.apply_nodes:
                continue
            for r in index.rules_for(node):
                result = r(fgraph, node)
                if result is None:
                    continue
                record = fgraph.replace_all(_as_pairs(r, node, result), r.name, r.doc)
                if record is None:
                    continue
                applied += 1
                if applied > budget:
                    raise RewriteCycleError(
                        f"rule set {rule_set.name!r} made {applied} rewrites without reaching a "
                        f"fixed point; the last was {r.name!r} ({r.doc})")
                break
    finally:
        fgraph.listeners.remove(listen)
    return applied


def run_pipeline(fgraph: FunctionGraph, steps: Sequence[Step]) -> None:
    """Run each step in order: a RuleSet to its fixed point, a GraphPass once. Each record in
    `fgraph.history` is marked with the name of the step that made it."""
    for step in steps:
        start = len(fgraph.history)
        if isinstance(step, RuleSet):
            apply_rules(fgraph, step)
        else:
            step(fgraph)
        for record in fgraph.history[start:]:
            record.phase = step.name
