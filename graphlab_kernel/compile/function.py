"""`function`: compile symbolic inputs and outputs (and shared-variable updates) into a callable."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from time import perf_counter_ns
from typing import Any

import numpy as np

from graphlab_kernel.backend import get_backend
from graphlab_kernel.compile.mode import Mode, get_mode
from graphlab_kernel.compile.profiling import FunctionProfile
from graphlab_kernel.compile.shared import SharedVariable
from graphlab_kernel.gof.fg import FunctionGraph
from graphlab_kernel.gof.graph import Constant, Variable, clone_replace, graph_inputs
from graphlab_kernel.tensor.var import TensorVariable, as_tensor_variable


class In:
    """A function input with options, as Theano's In: `value` is a default, so that the argument
    may be left out; `name` is the keyword it can be passed by (the variable's name when not
    given). `function([x, In(y, value=1.0)], x + y)` can be called as f(2.0), f(2.0, 3.0) or
    f(2.0, y=3.0)."""

    _NONE = object()  # no default

    def __init__(self, variable: Variable, name: str | None = None, value: Any = _NONE):
        self.variable = variable
        self.name = name if name is not None else getattr(variable, "name", None)
        self.value = value

    @property
    def has_default(self) -> bool:
        return self.value is not In._NONE

    def __repr__(self) -> str:
        default = f", value={self.value!r}" if self.has_default else ""
        return f"In({self.variable}, name={self.name!r}{default})"


class FunctionMaker:
    """What a compilation produced: the optimized graph and how it was made."""

    def __init__(self, fgraph: FunctionGraph, mode: Mode, inputs: list[Variable],
                 outputs: list[Variable], updates: list[tuple[SharedVariable, Variable]],
                 backend: str | None = None):
        self.fgraph = fgraph
        self.mode = mode
        self.backend = backend  # the backend asked for (None: the default)
        self.inputs = inputs
        self.outputs = outputs
        self.updates = updates


class Function:
    """A compiled function. Call it with one value per input; it returns NumPy arrays."""

    def __init__(self, maker: FunctionMaker, shared_inputs: list[SharedVariable],
                 update_targets: list[SharedVariable], single_output: bool, backend,
                 run, name: str | None, params: list[In] | None = None):
        self.maker = maker
        self.name = name
        self.backend = getattr(run, "backend_name", backend.name)
        # Why this function runs on NumPy though C was asked for (no compiler, or an op or an
        # index the code generator does not take); None when it runs where it was asked to.
        self.fallback_reason: str | None = (getattr(run, "fallback_reason", None)
                                            or getattr(backend, "fallback_reason", None))
        self.c_source: str | None = getattr(run, "c_source", None)
        # A fast path the backend may offer, taking the common case only: it returns None for
        # arguments it does not take (having done nothing), and the general path below runs. The
        # C backend's: by value for all-0-d graphs without shared variables, else the direct call.
        scalar_call = getattr(run, "scalar_call", None)
        direct_call = getattr(run, "direct_call", None)
        if scalar_call is not None and single_output and not shared_inputs:
            self._fast = scalar_call
        elif direct_call is not None:
            self._fast = direct_call(len(maker.inputs), shared_inputs, update_targets,
                                     len(maker.outputs), single_output)
        else:
            self._fast = None
        self._backend = backend
        self._run = run
        self._input_types = [v.type for v in maker.inputs]
        self._input_names = [_describe_input(i, v) for i, v in enumerate(maker.inputs)]
        # Per input, what an argument passed as it is must be: an ndarray of this exact dtype
        # object and rank (and no length-1 axes to check); anything else goes through filter().
        self._exact = [(np.dtype(t.dtype), t.ndim, not any(t.broadcastable), t, n)
                       for t, n in zip(self._input_types, self._input_names)]
        # each input's keyword and default (its In); the defaults, of the input's type already
        self._params = params or [In(v) for v in maker.inputs]
        names = [p.name for p in self._params if p.name is not None]
        self._keywords = {p.name: i for i, p in enumerate(self._params)
                          if p.name is not None and names.count(p.name) == 1}
        self._shared = shared_inputs
        self._update_targets = update_targets
        self._n_outputs = len(maker.outputs)
        self._single = single_output

    @property
    def call_source(self) -> str | None:
        """The Python the C backend generated to call this function (backend/c/direct.py), or
        None when it has none (the NumPy backend, or graphs of scalars called by value)."""
        return getattr(self._fast, "source", None)

    @property
    def history(self):
        """The rewrites applied while optimizing, in order (see graphlab_kernel.gof.fg.RewriteRecord)."""
        return self.maker.fgraph.history

    @property
    def inputs(self) -> list[Variable]:
        return self.maker.inputs

    @property
    def outputs(self) -> list[Variable]:
        return self.maker.outputs

    @property
    def params(self) -> list[In]:
        """Each input as an In: its keyword name, and its default value if it has one."""
        return list(self._params)

    @property
    def shared_variables(self) -> list[SharedVariable]:
        return list(self._shared)

    @property
    def updates(self) -> list[tuple[SharedVariable, Variable]]:
        return list(self.maker.updates)

    def copy(self, swap: Mapping | None = None, delete_updates: bool = False,
             name: str | None = None) -> Function:
        """A function computing the same, compiled again (from the compile cache: milliseconds),
        as Theano's `Function.copy`: with `swap` ({shared variable: another of the same type}) it
        reads and updates the other variables instead; `delete_updates` leaves its updates out."""
        swap = dict(swap or {})
        for old, new in swap.items():
            if not isinstance(old, SharedVariable) or old not in self._shared:
                raise ValueError(f"copy: swap's key {old!r} is not a shared variable of "
                                 f"{self._label()} (its shared variables: "
                                 f"{', '.join(map(str, self._shared)) or 'none'})")
            if not isinstance(new, SharedVariable) or new.type != old.type:
                raise TypeError(f"copy: {old} ({old.type}) can only be swapped for a shared "
                                f"variable of the same type; got {new!r}"
                                + (f" ({new.type})" if isinstance(new, Variable) else ""))
        outputs = self.maker.outputs
        updates = [] if delete_updates else [(swap.get(t, t), e) for t, e in self.maker.updates]
        return function(self.params, outputs[0] if self._single else list(outputs), updates,
                        givens=swap, name=name if name is not None else self.name,
                        mode=self.maker.mode, backend=self.maker.backend,
                        on_unused_input="ignore", no_default_updates=True,  # in maker.updates
                        profile=self.profile is not None)

    def __call__(self, *args: Any, **kwargs: Any):
        if kwargs:
            args = self._bind(args, kwargs)
        if self._fast is not None:  # it returns None for a wrong count of arguments too
            result = self._fast(args)
            if result is not None:
                return result
        if len(args) != len(self._input_types):
            return self(*self._bind(args, {}))  # the defaults filled in, or the count's error
        values = []
        for a, (dtype, ndim, plain, ttype, name) in zip(args, self._exact):
            if type(a) is not np.ndarray or a.dtype is not dtype or a.ndim != ndim or not plain:
                a = ttype.filter(a, name=name)
            values.append(a)
        for shared in self._shared:
            values.append(shared._value)
        results = self._run(values)
        n = self._n_outputs
        if self._update_targets:
            for target, value in zip(self._update_targets, results[n:]):
                target._assign(value)
        if self._single:
            return results[0]
        return results[:n]

    def _bind(self, args: tuple, kwargs: dict) -> tuple:
        """One argument per input, from the positional ones, the keywords and the defaults."""
        n = len(self._params)
        if len(args) > n:
            raise TypeError(f"{self._label()} takes {n} argument(s) "
                            f"({', '.join(map(str, self.maker.inputs))}); got {len(args)}")
        bound = list(args) + [In._NONE] * (n - len(args))
        for key, value in kwargs.items():
            if key not in self._keywords:
                if any(p.name == key for p in self._params):
                    raise TypeError(f"{self._label()} has several inputs named {key!r}; pass "
                                    "them by position (or name them apart with In(var, name=...))")
                known = ", ".join(self._keywords) or "none"
                raise TypeError(f"{self._label()} got an unexpected keyword argument {key!r} "
                                f"(its inputs' names: {known})")
            if bound[self._keywords[key]] is not In._NONE:
                raise TypeError(f"{self._label()} got two values for input {key!r}")
            bound[self._keywords[key]] = value
        for i, (value, param) in enumerate(zip(bound, self._params)):
            if value is In._NONE:
                if not param.has_default:
                    if not kwargs and not any(p.has_default for p in self._params):
                        raise TypeError(f"{self._label()} takes {n} argument(s) "
                                        f"({', '.join(map(str, self.maker.inputs))}); "
                                        f"got {len(args)}")
                    raise TypeError(f"{self._label()} is missing a value for "
                                    f"{self._input_names[i]}, which has no default")
                bound[i] = param.value
        return tuple(bound)

    def _label(self) -> str:
        return f"function {self.name!r}" if self.name else "the function"

    def __repr__(self) -> str:
        ins = ", ".join(map(str, self.maker.inputs))
        return f"<graphlab Function {self.name or ''}({ins}) backend={self.backend}>"

    # None, or where this function's time goes (function(..., profile=True)): a FunctionProfile
    profile: FunctionProfile | None = None


class ProfiledFunction(Function):
    """A function compiled with `profile=True`: its backend times each node, and each call is
    timed whole here (see compile/profiling.py). A class of its own, so that the calls of
    functions not profiled pay nothing for it."""

    def __call__(self, *args: Any, **kwargs: Any):
        start = perf_counter_ns()
        result = Function.__call__(self, *args, **kwargs)
        self.profile._record(perf_counter_ns() - start)
        return result


def _describe_input(i: int, var: Variable) -> str:
    return f"argument {i} ({var})" if var.name else f"argument {i}"


def function(inputs: Sequence[Variable], outputs: Variable | Sequence[Variable] | None = None,
             updates: Sequence[tuple] | Mapping | None = None, givens: Sequence[tuple] | Mapping |
             None = None, name: str | None = None, mode: str | Mode | None = None,
             backend: str | None = None, on_unused_input: str = "raise",
             no_default_updates: bool | Sequence[SharedVariable] = False,
             profile: bool = False) -> Function:
    """Compile a function from `inputs` to `outputs`.

    `updates` (pairs or a dict) gives new values for shared variables, all computed from the
    values before the call and written together after it succeeds. A shared variable the graph
    reads that has a `default_update` (a random state) is updated by it too, unless `updates`
    changes it or `no_default_updates` is True or lists it. `givens` substitutes variables
    in the graph before compiling. `mode` picks the rewrites (default: the optimizing pipeline;
    'NO_OPT' for none), `backend` the runtime ('c' or 'numpy'). With `profile`, the function
    times its nodes and its calls: `f.profile.summary()` says where the time goes.
    """
    with _cyclic_gc_paused():
        return _compile(inputs, outputs, updates, givens, name, mode, backend, on_unused_input,
                        no_default_updates, profile)


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Compiling allocates many objects that all live on (the graph); the cyclic collector's full
    passes over them free nothing and cost time that grows faster than the graph."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _compile(inputs, outputs, updates, givens, name, mode, backend, on_unused_input,
             no_default_updates=False, profile=False) -> Function:
    params = _params(inputs)
    inputs = _check_inputs([p.variable for p in params])
    single = outputs is not None and not isinstance(outputs, (list, tuple))
    output_list = [] if outputs is None else [outputs] if single else list(outputs)
    output_list = [_as_output(o, i) for i, o in enumerate(output_list)]
    update_pairs = _check_updates(updates)
    given_map = _check_givens(givens)
    if given_map:
        exprs, _ = clone_replace(output_list + [v for _, v in update_pairs], given_map)
        output_list = exprs[:len(output_list)]
        update_pairs = [(s, e) for (s, _), e in zip(update_pairs, exprs[len(output_list):])]
    update_pairs += _default_updates(output_list + [v for _, v in update_pairs], update_pairs,
                                     inputs, no_default_updates)

    everything = output_list + [v for _, v in update_pairs]
    used = graph_inputs(everything, blockers=inputs)
    _check_unused(inputs, used, on_unused_input)
    shared_inputs = [v for v in used if isinstance(v, SharedVariable) and v not in inputs]
    for target, _ in update_pairs:
        if target not in shared_inputs:
            shared_inputs.append(target)

    n_out, n_in = len(output_list), len(inputs)
    fgraph = FunctionGraph(inputs + shared_inputs, everything, update_mapping={
        n_out + k: n_in + shared_inputs.index(target) for k, (target, _) in enumerate(update_pairs)})
    mode = get_mode(mode)
    from graphlab_kernel.rewrite import optimize
    optimize(fgraph, mode)
    chosen = get_backend(backend or mode.backend, profile=bool(profile))
    run = chosen.compile(fgraph)
    maker = FunctionMaker(fgraph, mode, inputs, output_list, update_pairs, backend or mode.backend)
    kind = ProfiledFunction if profile else Function
    f = kind(maker, shared_inputs, [s for s, _ in update_pairs], single, chosen, run, name, params)
    if profile:
        counters = getattr(run, "profile", None)
        if counters is None:
            raise ValueError(f"profile=True: backend {chosen!r} does not time its nodes")
        f.profile = FunctionProfile(f._label(), f.backend, counters)
    return f


def _params(inputs) -> list[In]:
    """Each input as an In, its default converted to the input's type (so that a bad default is
    reported now, not at the call that first uses it)."""
    if isinstance(inputs, (Variable, In)) or not isinstance(inputs, (list, tuple)):
        raise TypeError(f"function's inputs must be a list of variables; got {inputs!r}")
    params = [p if isinstance(p, In) else In(p) for p in inputs]
    for i, p in enumerate(params):
        if p.has_default and isinstance(p.variable, TensorVariable):
            p = In(p.variable, p.name, p.variable.type.filter(
                p.value, name=f"the default value of input {i} ({p.variable})"))
            params[i] = p
    return params


def _check_inputs(inputs: list) -> list[Variable]:
    checked = []
    for i, v in enumerate(inputs):
        if not isinstance(v, TensorVariable):
            raise TypeError(f"input {i} must be a symbolic variable; got {type(v).__name__} {v!r}")
        if isinstance(v, SharedVariable):
            raise TypeError(f"input {i} ({v}) is a shared variable; shared variables are implicit "
                            "inputs and must not be listed")
        if isinstance(v, Constant) or v.owner is not None:
            raise TypeError(f"input {i} ({v}) is computed from other variables or is a constant; "
                            "inputs must be free variables such as T.dscalar('x')")
        if v in checked:
            raise ValueError(f"input {i} ({v}) is listed twice")
        checked.append(v)
    return checked


def _as_output(o, i: int) -> Variable:
    if isinstance(o, Variable):
        return o
    if isinstance(o, (str, bytes)) or o is None:
        raise TypeError(f"output {i} must be a symbolic variable; got {type(o).__name__} {o!r}")
    return as_tensor_variable(o, f"output {i}")


def _pairs(mapping_or_pairs, what: str) -> list[tuple]:
    if mapping_or_pairs is None:
        return []
    if isinstance(mapping_or_pairs, Mapping):
        return list(mapping_or_pairs.items())
    pairs = list(mapping_or_pairs)
    for p in pairs:
        if not isinstance(p, (list, tuple)) or len(p) != 2:
            raise TypeError(f"{what} must be (variable, expression) pairs or a dict; got {p!r}")
    return [tuple(p) for p in pairs]


def _check_updates(updates, whose: str = "") -> list[tuple[SharedVariable, Variable]]:
    """The update pairs, each a shared variable and an expression of its type (broadcast to it);
    `whose` starts the error messages ("scan: fn's " for a loop body's updates)."""
    checked: list[tuple[SharedVariable, Variable]] = []
    for target, expr in _pairs(updates, "updates"):
        if not isinstance(target, SharedVariable):
            raise TypeError(f"{whose}updates can only change shared variables; {target!r} is not "
                            "one")
        if any(target is t for t, _ in checked):
            raise ValueError(f"shared variable {target} is updated twice in one "
                             f"{'function' if not whose else 'step'}")
        expr = as_tensor_variable(expr, f"the update of {target}", partner_dtype=target.dtype)
        if expr.dtype != target.dtype or expr.ndim != target.ndim or any(
                s and not e for s, e in zip(target.broadcastable, expr.broadcastable)):
            raise TypeError(f"{whose or 'the '}update of shared variable {target} has type "
                            f"{expr.type}, but {target} is {target.type}; cast it (e.g. "
                            f".astype('{target.dtype}'))")
        if expr.broadcastable != target.broadcastable:
            from graphlab_kernel import tensor as T
            expr = T.fill(target, expr)
        checked.append((target, expr))
    return checked


def _default_updates(exprs, explicit, inputs, excluded) -> list[tuple[SharedVariable, Variable]]:
    """The default updates of the shared variables `exprs` read (and those the default updates
    read in turn), except those of the variables `explicit` updates change or `excluded` lists
    (True: all of them)."""
    if excluded is True:
        return []
    if excluded is False or excluded is None:
        excluded = []
    elif isinstance(excluded, Variable) or not isinstance(excluded, (list, tuple, set)):
        raise TypeError(f"no_default_updates must be True, False or a list of shared variables; "
                        f"got {excluded!r}")
    for v in excluded:
        if not isinstance(v, SharedVariable):
            raise TypeError(f"no_default_updates lists {v!r}, which is not a shared variable")
    skip = set(excluded) | {target for target, _ in explicit}
    found: list[tuple[SharedVariable, Variable]] = []
    pending = list(exprs)
    while pending:
        read, pending = graph_inputs(pending, blockers=inputs), []
        for v in read:
            if isinstance(v, SharedVariable) and v.default_update is not None and v not in skip:
                skip.add(v)
                found.append((v, v.default_update))
                pending.append(v.default_update)
    return _check_updates(found)


def _check_givens(givens) -> dict[Variable, Variable]:
    result: dict[Variable, Variable] = {}
    for old, new in _pairs(givens, "givens"):
        if not isinstance(old, Variable):
            raise TypeError(f"givens keys must be variables; got {old!r}")
        new = as_tensor_variable(new, f"the replacement for {old}", partner_dtype=old.dtype)
        if new.type != old.type:
            raise TypeError(f"givens: {old} is {old.type} but its replacement {new} is {new.type}")
        result[old] = new
    return result


def _check_unused(inputs, used, on_unused_input: str) -> None:
    if on_unused_input not in ("raise", "warn", "ignore"):
        raise ValueError(f"on_unused_input must be 'raise', 'warn' or 'ignore'; got "
                         f"{on_unused_input!r}")
    used_set = set(used)
    unused = [v for v in inputs if v not in used_set]
    if not unused or on_unused_input == "ignore":
        return
    message = (f"input(s) {', '.join(map(str, unused))} are not used to compute the outputs; pass "
               "on_unused_input='ignore' to allow this")
    if on_unused_input == "warn":
        warnings.warn(message, stacklevel=3)
    else:
        raise ValueError(message)
