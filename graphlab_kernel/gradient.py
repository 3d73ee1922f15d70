"""Reverse-mode symbolic differentiation: `grad` builds the gradient graph, unoptimized."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from graphlab_kernel.gof.graph import Apply, Variable, toposort
from graphlab_kernel.gof.op import Op
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
        why = (f"the cost depends on wrt[{i}] ({w}) only through operations that pass no "
               "gradient (integer results, disconnected_grad)")
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


def Lop(f, wrt, eval_points, consider_constant: Sequence[Variable] | None = None,
        disconnected_inputs: str = "raise"):
    """The vector-Jacobian product v^T (df/dwrt), as Theano's `Lop`: the gradient of
    sum(f * v) with respect to `wrt`, which is what reverse mode computes. `f` is a variable or a
    list, `eval_points` one v per f, of its shape; `wrt` a variable or a list (the result is
    the same). The other arguments are grad's."""
    fs, vs = _paired(f, eval_points, "f", "Lop")
    cost = None
    for fi, vi in zip(fs, vs):
        term = (fi * vi).sum()
        cost = term if cost is None else cost + term
    return grad(cost, wrt, consider_constant=consider_constant,
                disconnected_inputs=disconnected_inputs)


def Rop(f, wrt, eval_points):
    """The Jacobian-vector product (df/dwrt) v, as Theano's `Rop`: how `f` changes when `wrt`
    moves along `eval_points` (one v per wrt, of its shape), summed over the wrt. `f` is a
    variable or a list (one result each, of f's shape). Built with reverse mode twice: g(u) =
    Lop(f, wrt, u) is linear in a stand-in u, so d(sum(g(u) * v))/du is J v whatever u is, and u
    is then replaced by zeros of f's shape."""
    from graphlab_kernel import tensor as T
    from graphlab_kernel.gof.graph import clone_replace
    single_f = not isinstance(f, (list, tuple))
    ws, vs = _paired(wrt, eval_points, "wrt", "Rop")
    results = []
    for i, fi in enumerate([f] if single_f else list(f)):
        fi = _float_tensor(fi, f"f[{i}]" if not single_f else "f", "Rop")
        nodes = toposort([fi])
        if not any(fi in _connected(nodes, [w], []) for w in ws):
            raise DisconnectedInputError(f"Rop: {fi} does not depend on any of wrt "
                                         f"({', '.join(map(str, ws))})")
        u = fi.type(name="u")
        gs = Lop(fi, ws, u, disconnected_inputs="ignore")
        inner = None
        for g, v in zip(gs, vs):
            term = (g * v).sum()
            inner = term if inner is None else inner + term
        jv = grad(inner, u, disconnected_inputs="ignore")
        (jv,), _ = clone_replace([jv], {u: T.zeros_like(fi)})
        results.append(jv)
    return results[0] if single_f else results


def _paired(values, points, what: str, caller: str) -> tuple[list, list]:
    """`values` (a variable or list) and `points` (alike) as two lists of float tensors, paired
    one to one and of the same number of dimensions."""
    from graphlab_kernel.tensor.var import as_tensor_variable
    single = not isinstance(values, (list, tuple))
    vals = [values] if single else list(values)
    pts = [points] if not isinstance(points, (list, tuple)) else list(points)
    if len(pts) != len(vals):
        raise ValueError(f"{caller}: eval_points has {len(pts)} value(s) for {len(vals)} "
                         f"{what}; give one per {what}")
    pairs = ([], [])
    for i, (x, p) in enumerate(zip(vals, pts)):
        label = what if single else f"{what}[{i}]"
        x = _float_tensor(x, label, caller)
        p = as_tensor_variable(p, f"eval_points for {label}", partner_dtype=x.dtype)
        if p.ndim != x.ndim:
            raise TypeError(f"{caller}: eval_points for {label} ({x}, {x.type}) must have its "
                            f"{x.ndim} dimension(s); got {p} ({p.type})")
        pairs[0].append(x)
        pairs[1].append(p)
    return pairs


def _float_tensor(x, label: str, caller: str):
    from graphlab_kernel.tensor.var import TensorVariable
    if not isinstance(x, TensorVariable):
        raise TypeError(f"{caller}: {label} must be a tensor variable; got {type(x).__name__} "
                        f"{x!r}")
    if x.dtype in DISCRETE_DTYPES:
        raise TypeError(f"{caller}: {label} ({x}) has the discrete dtype {x.dtype}; it has no "
                        "derivative")
    return x


class GradientOverride(Op):
    """The identity, with a gradient of its own: 'zero' (zeros), 'disconnected' (none, as if x
    were a constant), 'clip' (clipped to [lower, upper]) or 'scale' (times `scale`). It exists
    only for `grad`: the optimizer replaces it by x before anything runs."""

    __props__ = ("kind", "lower", "upper", "scale")

    KINDS = ("zero", "disconnected", "clip", "scale")

    def __init__(self, kind: str, lower: float = 0.0, upper: float = 0.0, scale: float = 1.0):
        if kind not in self.KINDS:
            raise ValueError(f"GradientOverride: kind must be one of {', '.join(self.KINDS)}; "
                             f"got {kind!r}")
        self.kind, self.lower, self.upper, self.scale = kind, lower, upper, scale

    def make_node(self, x) -> Apply:
        from graphlab_kernel.tensor.var import as_tensor_variable
        x = as_tensor_variable(x, f"input of {self.kind}_grad")
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs):
        return [inputs[0]]

    view_map = {0: [0]}

    def grad(self, inputs, outputs, output_grads):
        from graphlab_kernel import tensor as T
        (g,) = output_grads
        if self.kind == "disconnected":
            return [None]
        if self.kind == "zero":
            return [T.zeros_like(g)]
        if self.kind == "clip":
            return [T.clip(g, self.lower, self.upper)]
        return [g * self.scale]

    def pp(self, node, args: Sequence[str]) -> str:
        return f"{self.kind}_grad({args[0]})"

    def __str__(self) -> str:
        extra = {"clip": f"{{{self.lower:g}, {self.upper:g}}}",
                 "scale": f"{{{self.scale:g}}}"}.get(self.kind, "")
        return f"{self.kind.capitalize()}Grad{extra}"


def zero_grad(x):
    """x, through which the gradient is zero (grad still reaches what x is computed from, with
    zeros), as Theano's `theano.gradient.zero_grad`."""
    return GradientOverride("zero")(x)


def disconnected_grad(x):
    """x, through which no gradient flows, as if it were a constant (Theano's
    `disconnected_grad`; the same as listing x in grad's `consider_constant`)."""
    return GradientOverride("disconnected")(x)


def grad_clip(x, lower_bound: float, upper_bound: float):
    """x, whose gradient is clipped to [lower_bound, upper_bound] on its way back (Theano's
    `theano.gradient.grad_clip`)."""
    if not lower_bound <= upper_bound:
        raise ValueError(f"grad_clip: lower_bound {lower_bound} is above upper_bound "
                         f"{upper_bound}")
    return GradientOverride("clip", float(lower_bound), float(upper_bound))(x)


def grad_scale(x, multiplier: float):
    """x, whose gradient is multiplied by `multiplier` on its way back (Theano's
    `theano.gradient.grad_scale`)."""
    return GradientOverride("scale", scale=float(multiplier))(x)


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
