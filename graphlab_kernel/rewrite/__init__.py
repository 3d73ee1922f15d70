"""Graph rewrites: named local rules applied by one driver, in explicit ordered pipelines.

`optimize(fgraph, mode)` runs the pipeline `mode` names; every rewrite is recorded in
`fgraph.history` (see graphlab_kernel.gof.fg.RewriteRecord).
"""

from __future__ import annotations

from graphlab_kernel.rewrite.engine import GraphPass, Rule, RuleSet, apply_rules, rule, run_pipeline


def optimize(fgraph, mode) -> None:
    """Rewrite `fgraph` in place with the pipeline, inclusions and exclusions of `mode`."""
    from graphlab_kernel.rewrite.pipelines import steps_for
    run_pipeline(fgraph, steps_for(mode.optimizer, mode.include, mode.exclude))


__all__ = ["GraphPass", "Rule", "RuleSet", "apply_rules", "optimize", "rule", "run_pipeline"]
