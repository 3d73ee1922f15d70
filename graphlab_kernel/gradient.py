"""Reverse-mode symbolic differentiation: `grad` builds the gradient graph, unoptimized."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from graphlab_kernel.gof.graph import Variable, toposort
from graphlab_kernel.tensor.type import DISCRETE_DTYPES


class DisconnectedInputError(ValueError):
    """grad was asked for the gradient with respect to a variable the cost does not depend on."""


def grad(cost: Variable, wrt: Variable | Sequence[Variable],
         consider_constant: Sequence[Variable] | None = None,
         disconnected_inputs: str = "raise"):
    """The gradient of the scalar `cost` with respect to `wrt` (a variable or a list of them).

    `consider_constant` lists variables through which no gradient flows. `disconnected_inputs`
    says what to do for a `wrt` the cost does not depend on: 'raise', 'warn' or 'ignore' (the
    last two give zeros). Returns a variable, or a list when `wrt` is a list.
    """
    from graphlab_kernel import tensor as T
    from graphlab_kernel.tensor.var import TensorVariable

    if not isinstance(cost, TensorVariable):
        raise TypeError(f"cost must be a tensor variable; got {type(cost).__name__} {cost!r}")
    if cost.ndim != 0:
        raise TypeError(f"cost must be a scalar to take its gradient; {cost} is {cost.type} "
                        "(sum or average it first)")
    if cost.dtype in DISCRETE_DTYPES:
        raise TypeError(f"cost {cost} has the discrete dtype {cost.dtype}; it has no gradient")
    if disconnected_inputs not in ("raise", "warn", "ignore"):
        raise ValueError(f"disconnected_inputs must be 'raise', 'warn' or 'ignore'; got "
                         f"{disconnected_inputs!r}")
    single = not isinstance(wrt, (list, tuple))
    wrt_list = [wrt] if single else list(wrt)
    for i, w in enumerate(wrt_list):
        if not isinstance(w, TensorVariable):
            raise TypeError(f"wrt[{i}] must be a tensor variable; got {type(w).__name__} {w!r}")

    nodes = toposort([cost])
    wanted = _connected(nodes, wrt_list, consider_constant or [])
    grads: dict[Variable, Variable] = {cost: T.fill(cost, 1.0)}
    for node in reversed(nodes):
        if not any(o in grads for o in node.outputs):
            continue
        if not any(i in wanted for i in node.inputs):
            continue
        output_grads = [grads.get(o) if o in grads else T.zeros_like(o) for o in node.outputs]
        input_grads = node.op.grad(node.inputs, node.outputs, output_grads)
        if len(input_grads) != len(node.inputs):
            raise ValueError(f"{node.op}.grad returned {len(input_grads)} gradients for "
                             f"{len(node.inputs)} inputs")
        for inp, g in zip(node.inputs, input_grads):
            if g is None or inp not in wanted:
                continue
            g = _match_type(T.as_tensor_variable(g), inp)
            grads[inp] = g if inp not in grads else grads[inp] + g

    results = []
    for i, w in enumerate(wrt_list):
        g = grads.get(w)
        if g is None:
            reached = cost in _connected(nodes, [w], consider_constant or [])
            if not (reached and w.dtype in DISCRETE_DTYPES):  # an integer's gradient is zero
                _disconnected(i, w, reached, disconnected_inputs)
            g = T.zeros_like(w, dtype=w.dtype if w.dtype not in DISCRETE_DTYPES else "float64")
        results.append(_match_type(g, w))
    return results[0] if single else results


def _disconnected(i: int, w: Variable, reached: bool, disconnected_inputs: str) -> None:
    """Raise or warn, as `disconnected_inputs` says, that no gradient reaches wrt[i]."""
    if reached:
        why = (f"the cost depends on wrt[{i}] ({w}) only through operations with integer "
               "results, which pass no gradient")
    else:
        why = f"the cost does not depend on wrt[{i}] ({w})"
    message = f"grad: {why}; pass disconnected_inputs='ignore' or 'warn' to get zeros instead"
    if disconnected_inputs == "raise":
        raise DisconnectedInputError(message)
    if disconnected_inputs == "warn":
        warnings.warn(message, stacklevel=3)


def _connected(nodes, wrt: Sequence[Variable], constants: Sequence[Variable]) -> set[Variable]:
    """The variables on a path from some `wrt` to the cost, not passing through `constants`."""
    depends = set(wrt)
    blocked = set(constants) - set(wrt)
    for node in nodes:
        if any(i in depends and i not in blocked for i in node.inputs):
            depends.update(node.outputs)
    return depends - blocked


def _match_type(g, w):
    """Give the gradient exactly the type of its variable (dtype and broadcastable pattern)."""
    from graphlab_kernel import tensor as T
    if g.ndim != w.ndim:
        raise TypeError(f"grad: the gradient for {w} ({w.type}) has {g.ndim} dimension(s), "
                        f"expected {w.ndim} (from {g.owner.op if g.owner else g})")
    if g.dtype != w.dtype and w.dtype not in DISCRETE_DTYPES:
        g = T.cast(g, w.dtype)
    if g.broadcastable != w.broadcastable:
        # length-1 axes of w: summing g over them keeps its value and marks them broadcastable
        axes = tuple(d for d, (gb, wb) in enumerate(zip(g.broadcastable, w.broadcastable))
                     if wb and not gb)
        if axes:
            g = T.sum(g, axis=axes, keepdims=True)
        if g.broadcastable != w.broadcastable:
            g = T.fill(w, g)
    return g


def jacobian(expression: Variable, wrt: Variable | Sequence[Variable],
             consider_constant: Sequence[Variable] | None = None,
             disconnected_inputs: str = "raise"):
    """The Jacobian of the vector `expression` with respect to `wrt` (a variable or a list):
    for each w, the array J of shape `expression.shape + w.shape` with J[i] = d expression[i]/d w.

    As Theano's, it is a `scan` over the rows of `expression`, each step taking the gradient of
    one element (a scalar expression gives its gradient). Returns a variable, or a list when
    `wrt` is a list.
    """
    from graphlab_kernel import tensor as T
    from graphlab_kernel.scan_module import scan
    from graphlab_kernel.tensor.var import TensorVariable

    if not isinstance(expression, TensorVariable):
        raise TypeError(f"jacobian: expression must be a tensor variable; got "
                        f"{type(expression).__name__} {expression!r}")
    if expression.ndim > 1:
        raise TypeError(f"jacobian: expression must be a vector (or a scalar); {expression} is "
                        f"{expression.type} (flatten it first)")
    single = not isinstance(wrt, (list, tuple))
    wrt_list = [wrt] if single else list(wrt)
    if expression.ndim == 0:
        return grad(expression, wrt, consider_constant, disconnected_inputs)

    def row(i, expr, *variables):
        return [grad(expr[i], w, consider_constant, disconnected_inputs) for w in variables]

    rows, _ = scan(row, sequences=T.arange(expression.shape[0]),
                   non_sequences=[expression, *wrt_list], name="jacobian", return_list=True)
    return rows[0] if single else rows


def hessian(cost: Variable, wrt: Variable | Sequence[Variable],
            consider_constant: Sequence[Variable] | None = None,
            disconnected_inputs: str = "raise"):
    """The Hessian of the scalar `cost` with respect to each vector in `wrt` (a variable or a
    list): the Jacobian of its gradient, a matrix per vector (as Theano's `T.hessian`)."""
    from graphlab_kernel.tensor.var import TensorVariable

    single = not isinstance(wrt, (list, tuple))
    wrt_list = [wrt] if single else list(wrt)
    for i, w in enumerate(wrt_list):
        if not isinstance(w, TensorVariable) or w.ndim != 1:
            got = w.type if isinstance(w, TensorVariable) else type(w).__name__
            raise TypeError(f"hessian: wrt[{i}] must be a vector; got {w} ({got})")
    hessians = []
    for w in wrt_list:
        g = grad(cost, w, consider_constant, disconnected_inputs)
        hessians.append(jacobian(g, w, consider_constant, disconnected_inputs="ignore"))
    return hessians[0] if single else hessians
