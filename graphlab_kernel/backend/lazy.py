"""Lazy ops (IfElse): which nodes run under which branches, for both backends.

An op is lazy when it has `branches(node)`: the inputs needed only when a branch is taken
(input index -> branch), and `choose(node, condition)`: the branch taken. A backend runs the
nodes that only a branch needs when, and only when, that branch is taken.
"""

from __future__ import annotations

from graphlab_kernel.gof.fg import OUTPUT


def guards(fgraph, order) -> dict:
    """For each node, the branches under which its results are needed: a tuple of (lazy node,
    branch) pairs, outermost first; () for nodes always run. A node is needed under the longest
    guard common to all its uses, where a use as a branch input of a lazy node (IfElse) adds that
    branch to the user's own guard."""
    guards: dict = {}
    for node in reversed(order):
        uses = []
        for out in node.outputs:
            for client, position in fgraph.clients_of(out):
                if client == OUTPUT:
                    uses.append(())
                    continue
                guard = guards[client]
                branches = getattr(client.op, "branches", None)
                branch = branches(client) if branches is not None else {}
                uses.append(guard + ((client, branch[position]),) if position in branch else guard)
        guards[node] = _common_prefix(uses)
    return guards


def _common_prefix(guards: list[tuple]) -> tuple:
    if not guards:
        return ()
    common = guards[0]
    for guard in guards[1:]:
        n = 0
        while n < min(len(common), len(guard)) and common[n] == guard[n]:
            n += 1
        common = common[:n]
    return common
