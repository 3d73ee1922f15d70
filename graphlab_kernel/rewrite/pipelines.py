"""The optimizer pipelines: explicit, ordered lists of rule sets and graph passes.

A Mode names a pipeline ('fast_run', 'fast_compile') and may include or exclude steps or single
rules by name; `steps_for(mode)` resolves that into the list `optimize` runs.
"""

from __future__ import annotations

from graphlab_kernel.rewrite.canonicalize import CANONICALIZE_RULES
from graphlab_kernel.rewrite.engine import GraphPass, RuleSet, Step
from graphlab_kernel.rewrite.fusion import fusion
from graphlab_kernel.rewrite.inplace import inplace
from graphlab_kernel.rewrite.merge import constant_folding, merge
from graphlab_kernel.rewrite.row_fusion import row_fusion
from graphlab_kernel.rewrite.shape_inference import SHAPE_INFERENCE_RULES
from graphlab_kernel.rewrite.specialize import SPECIALIZE_RULES
from graphlab_kernel.rewrite.stabilize import STABILIZE_RULES

canonicalize = RuleSet("canonicalize", CANONICALIZE_RULES,
                       "remove what computes nothing; fold and combine constants")
shape_inference = RuleSet("shape_inference", SHAPE_INFERENCE_RULES,
                          "shapes from the inputs' shapes, without computing the values; checks "
                          "kept")
stabilize = RuleSet("stabilize", STABILIZE_RULES + CANONICALIZE_RULES,
                    "numerically stable forms: sigmoid, softplus, log1p, expm1, log_softmax")
specialize = RuleSet("specialize", SPECIALIZE_RULES + (constant_folding,),
                     "faster forms for the backends: gemv, gemm")

# Every step in its place; a pipeline is the subset of these it runs, in this order.
ALL_STEPS: list[Step] = [merge, canonicalize, shape_inference, stabilize, merge, specialize, fusion,
                         row_fusion, inplace]

PIPELINES: dict[str, set[str]] = {
    "fast_run": {"merge", "canonicalize", "shape_inference", "stabilize", "specialize", "fusion",
                 "row_fusion", "inplace"},
    "fast_compile": {"merge", "canonicalize", "shape_inference", "stabilize"},
}


def _step_names() -> set[str]:
    return {s.name for s in ALL_STEPS}


def _rule_names() -> set[str]:
    return {r.name for s in ALL_STEPS if isinstance(s, RuleSet) for r in s.rules}


def steps_for(optimizer: str | None, include=(), exclude=()) -> list[Step]:
    """The steps of pipeline `optimizer` with the named steps or rules included or excluded."""
    if optimizer is None:
        return []
    if optimizer not in PIPELINES:
        raise ValueError(f"unknown optimizer {optimizer!r}; expected one of "
                         f"{', '.join(PIPELINES)} or None")
    known = _step_names() | _rule_names()
    for name in (*include, *exclude):
        if name not in known:
            raise ValueError(f"no rewrite or rule set is called {name!r}; known names: "
                             f"{', '.join(sorted(known))}")
    enabled = (PIPELINES[optimizer] | set(include)) - set(exclude)
    excluded_rules = set(exclude) & _rule_names()
    steps: list[Step] = []
    for step in ALL_STEPS:
        if step.name not in enabled:
            continue
        steps.append(step.without(excluded_rules) if isinstance(step, RuleSet) else step)
    return steps


__all__ = ["ALL_STEPS", "GraphPass", "PIPELINES", "canonicalize", "shape_inference", "specialize",
           "stabilize", "steps_for"]
