"""The base class of Ops: what a computation is, apart from any application of it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphlab_kernel.gof.graph import Apply, Variable


class PropsEquality:
    """Value semantics from `__props__`: two instances of one class with equal props are equal
    and hash alike (which makes merging identical nodes and cache keys trivial)."""

    __props__: tuple[str, ...] = ()

    def _props(self) -> tuple:
        return tuple(getattr(self, p) for p in self.__props__)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._props() == other._props()

    def __hash__(self) -> int:
        return hash((type(self), self._props()))


class Op(PropsEquality):
    """A computation. Subclasses declare, in one place, everything about it:

    - `make_node(*inputs)`: check the inputs and build the Apply node (the output type rule);
    - `perform(node, inputs)`: the NumPy reference implementation, returning the list of outputs;
    - `grad(inputs, outputs, output_grads)`: one gradient Variable (None if disconnected) per input;
    - `__props__`: the attributes that identify the op; ops with equal props are equal;
    - `view_map` / `destroy_map`: {output index: [input index]} for outputs that alias or
      overwrite an input;
    - optionally, `infer_shape(node, input_shapes)`: per output, its lengths (int64 scalars) from
      the inputs' lengths and values, each failing where the op would (shape inference:
      graphlab_kernel.tensor.shape_checks); an op whose shapes depend on array values has none;
    - for a lazy op only (IfElse), `branches(node)` {input index: branch} for the inputs needed
      only when that branch is taken, and `choose(node, first_input_value)` the branch taken: the
      NumPy backend then runs the nodes that only untaken branches need not at all.
    """

    view_map: dict[int, list[int]] = {}
    destroy_map: dict[int, list[int]] = {}

    def make_node(self, *inputs: Any) -> Apply:
        raise NotImplementedError

    def perform(self, node: Apply, inputs: Sequence[Any]) -> list[Any]:
        raise NotImplementedError(f"{self} has no NumPy implementation")

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable]) -> list:
        raise NotImplementedError(f"{self} is not differentiable")

    def __call__(self, *inputs: Any):
        node = self.make_node(*inputs)
        return node.outputs[0] if len(node.outputs) == 1 else node.outputs

    def __str__(self) -> str:
        if not self.__props__:
            return type(self).__name__
        props = ", ".join(f"{p}={getattr(self, p)!r}" for p in self.__props__)
        return f"{type(self).__name__}{{{props}}}"

    def props_dict(self) -> dict[str, Any]:
        """The identifying properties of this op, by name (for display tools)."""
        return {p: getattr(self, p) for p in self.__props__}
