"""Live widgets: a compiled function with a control per input, and a shared variable's value."""

from __future__ import annotations

import ast
import threading
import time
import weakref
from typing import Any

import anywidget
import numpy as np
import traitlets

from graphlab_kernel import Function, SharedVariable

from graphlab_extension import frontend

# -- the function widget ---------------------------------------------------------------------------


def _summary(array: np.ndarray) -> str:
    if array.size == 0:
        return "empty"
    if array.dtype.kind in "biuf":
        return (f"min {array.min():.4g}, mean {array.mean():.4g}, max {array.max():.4g}")
    return f"{array.size} values"


def _value_text(value: Any) -> str:
    array = np.asarray(value)
    if array.ndim == 0:
        return repr(array.item())
    return np.array2string(array, threshold=60, edgeitems=3, precision=5)


def _default_value(var, rng: np.random.Generator) -> np.ndarray:
    shape = tuple(1 if b else 3 for b in var.broadcastable)
    dtype = np.dtype(var.dtype)
    if var.ndim == 0:
        return np.asarray(1, dtype=dtype)
    if dtype.kind == "f":
        return rng.standard_normal(shape).round(3).astype(dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, shape).astype(dtype)
    return rng.integers(0, 5, shape).astype(dtype)


class FunctionWidget(anywidget.AnyWidget):
    """A compiled function with one control per input and its outputs.

    A scalar input gets a slider and a number box; an array input shows its shape and a summary and
    can be set from a literal (`[[1, 2], [3, 4]]`) or filled (zeros, ones, random) for a shape.
    Outputs are recomputed whenever an input changes, unless the function updates shared variables:
    then only the Run button calls it, since every call changes state.
    """

    _esm = frontend.FUNCTION_JS
    css = traitlets.Unicode(frontend.CSS).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    inputs = traitlets.List(traitlets.Dict()).tag(sync=True)
    outputs = traitlets.List(traitlets.Dict()).tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    auto = traitlets.Bool(True).tag(sync=True)
    runs = traitlets.Int(0).tag(sync=True)

    def __repr__(self) -> str:  # the text/plain of the widget's output (a terminal, an export)
        return f"<FunctionWidget {self.title}, runs: {self.runs}>"

    def __init__(self, function: Function, name: str = "", **kwargs):
        super().__init__(**kwargs)
        self._function = function
        self._variables = list(function.maker.inputs)
        self._names = [v.name or f"input {i}" for i, v in enumerate(self._variables)]
        rng = np.random.default_rng(0)
        # an input's own default (In(y, value=...)) if it has one, else a small sample value
        self._values = {n: np.asarray(p.value, dtype=v.dtype) if p.has_default
                        else _default_value(v, rng)
                        for n, v, p in zip(self._names, self._variables, function.params)}
        self.auto = not function.maker.updates
        label = name or function.name or "function"
        self.title = f"{label}({', '.join(self._names)})"
        self._output_names = self._describe_outputs(label)
        self.on_msg(self._on_message)
        self._refresh_inputs()
        self.outputs = [{"name": n, "text": "(not run yet)"} for n in self._output_names]
        if self.auto:
            self.run()

    def _describe_outputs(self, label: str) -> list[str]:
        outs = self._function.maker.outputs
        return [o.name or (label if len(outs) == 1 else f"{label}[{i}]")
                for i, o in enumerate(outs)]

    def _refresh_inputs(self) -> None:
        specs = []
        for name, var in zip(self._names, self._variables):
            value = self._values[name]
            if var.ndim == 0:
                integer = np.dtype(var.dtype).kind in "biu"
                v = value.item()
                span = max(10.0, abs(float(v)) * 2)
                specs.append({"name": name, "kind": "scalar", "dtype": var.dtype, "value": v,
                              "min": -span, "max": span, "step": 1 if integer else 0.01})
            else:
                specs.append({"name": name, "kind": "array", "dtype": var.dtype,
                              "shape": list(value.shape), "summary": _summary(value),
                              "text": np.array2string(value, separator=", ", threshold=200)})
        self.inputs = specs

    # -- changing inputs -----------------------------------------------------------------------------

    def set_input(self, name: str, value: Any) -> None:
        """Set input `name` (a number, an array, or text holding a literal) and recompute."""
        if name not in self._values:
            raise KeyError(f"{self.title} has no input {name!r}; inputs are {self._names}")
        var = self._variables[self._names.index(name)]
        try:
            if isinstance(value, str):
                value = ast.literal_eval(value.strip())
            array = np.asarray(value)
            if var.ndim == 0 and array.dtype.kind == "f" and np.dtype(var.dtype).kind in "iu":
                array = np.asarray(round(float(array)))
            self._values[name] = var.type.filter(array, name=f"input {name}")
        except (ValueError, SyntaxError, TypeError) as exc:
            self.error = f"{name}: {exc}"
            return
        self.error = ""
        self._refresh_inputs()
        if self.auto:
            self.run()

    def fill(self, name: str, how: str, shape: str | tuple[int, ...]) -> None:
        """Fill array input `name` with zeros, ones or random values of `shape`."""
        try:
            if isinstance(shape, str):
                shape = tuple(int(s) for s in shape.replace("(", "").replace(")", "").split(",")
                              if s.strip())
            rng = np.random.default_rng()
            maker = {"zeros": np.zeros, "ones": np.ones,
                     "random": lambda s: rng.standard_normal(s).round(3)}[how]
            var = self._variables[self._names.index(name)]
            self.set_input(name, maker(shape).astype(var.dtype))
        except (ValueError, KeyError) as exc:
            self.error = f"{name}: cannot fill {how} with shape {shape!r} ({exc})"

    def run(self) -> None:
        """Call the function on the current inputs and show its outputs (or the error)."""
        try:
            results = self._function(*(self._values[n] for n in self._names))
        except Exception as exc:  # any error of the user's function is shown, not raised
            self.error = f"{type(exc).__name__}: {exc}"
            return
        if len(self._output_names) == 1 and not isinstance(results, list):
            results = [results]
        self.error = ""
        self.outputs = [{"name": n, "text": _value_text(r), "shape": list(np.shape(r))}
                        for n, r in zip(self._output_names, results)]
        self.runs += 1

    def _on_message(self, widget, content, buffers) -> None:
        kind = content.get("kind")
        if kind == "set":
            self.set_input(content["name"], content["value"])
        elif kind == "fill":
            self.fill(content["name"], content["fill"], content.get("shape", ""))
        elif kind == "run":
            self.run()


# -- the shared value widget ------------------------------------------------------------------------

MAX_VECTOR_POINTS = 400
MAX_MATRIX_SIDE = 48


def _downsample_vector(v: np.ndarray) -> np.ndarray:
    if v.size <= MAX_VECTOR_POINTS:
        return v
    edges = np.linspace(0, v.size, MAX_VECTOR_POINTS + 1).astype(int)
    return np.add.reduceat(v, edges[:-1]) / np.diff(edges)


def _downsample_matrix(m: np.ndarray) -> np.ndarray:
    rows, cols = m.shape
    r_edges = np.linspace(0, rows, min(rows, MAX_MATRIX_SIDE) + 1).astype(int)
    c_edges = np.linspace(0, cols, min(cols, MAX_MATRIX_SIDE) + 1).astype(int)
    summed = np.add.reduceat(np.add.reduceat(m, r_edges[:-1], axis=0), c_edges[:-1], axis=1)
    return summed / np.outer(np.diff(r_edges), np.diff(c_edges))


class SharedWidget(anywidget.AnyWidget):
    """The live value of a shared variable: a number (editable), a line plot for a vector, a heat
    map for a matrix. It follows every change (`set_value` and function updates) through
    `observe`, but sends at most one update per `interval` seconds (the last value always
    arrives), so a training loop hardly slows down."""

    _esm = frontend.SHARED_JS
    css = traitlets.Unicode(frontend.CSS).tag(sync=True)
    name = traitlets.Unicode("").tag(sync=True)
    kind = traitlets.Unicode("scalar").tag(sync=True)
    dtype = traitlets.Unicode("").tag(sync=True)
    shape = traitlets.List(traitlets.Int()).tag(sync=True)
    value = traitlets.Float(0.0).tag(sync=True)
    data = traitlets.List(traitlets.Float()).tag(sync=True)
    rows = traitlets.Int(0).tag(sync=True)
    cols = traitlets.Int(0).tag(sync=True)
    vmin = traitlets.Float(0.0).tag(sync=True)
    vmax = traitlets.Float(0.0).tag(sync=True)
    summary = traitlets.Unicode("").tag(sync=True)
    version = traitlets.Int(0).tag(sync=True)  # how many changes the widget has seen
    interval = traitlets.Float(0.25).tag(sync=True)

    def __repr__(self) -> str:
        value = f"{self.value!r}" if self.kind == "scalar" else self.summary
        return f"<SharedWidget {self.name} = {value}>"

    def __init__(self, variable: SharedVariable, name: str = "", interval: float = 0.25,
                 **kwargs):
        super().__init__(interval=interval, **kwargs)
        self._variable = variable
        self.name = name or variable.name or "shared"
        self._changes = 0
        self._interval = float(interval)
        self._closed = False
        self._push_lock = threading.Lock()  # one push at a time (flusher thread or main thread)
        self._last_push = 0.0
        self._callback = self._on_change  # kept, so that close() can unobserve it
        variable.observe(self._callback)
        self.on_msg(self._on_message)
        _LIVE.add(self)
        self.push()
        _FLUSHER.start()

    def _on_change(self, variable: SharedVariable) -> None:
        # Called after every change of the variable, possibly 100,000 times a second, so it only
        # counts; the shared flusher thread sends the value at most once per interval.
        self._changes += 1

    @traitlets.observe("interval")
    def _on_interval(self, change) -> None:
        self._interval = float(change["new"])

    def _flush_if_due(self, now: float) -> None:
        if not self._closed and self.version != self._changes \
                and now - self._last_push >= self._interval:
            self.push()

    def flush(self) -> None:
        """Send the current value if the widget has not shown it yet."""
        if self.version != self._changes:
            self.push()

    def push(self) -> None:
        """Send the variable's current value to the browser now."""
        with self._push_lock:
            value = self._variable.get_value(borrow=True)
            array = np.asarray(value, dtype=float) if value.dtype.kind != "c" else np.abs(value)
            with self.hold_sync():
                self.dtype = str(value.dtype)
                self.shape = list(value.shape)
                self.summary = _summary(np.asarray(value)) if value.ndim else ""
                if value.ndim == 0:
                    self.kind = "scalar"
                    self.value = float(array)
                elif value.ndim == 1:
                    self.kind = "vector"
                    self._set_data(_downsample_vector(array), 1, array.size)
                elif value.ndim == 2:
                    self.kind = "matrix"
                    small = _downsample_matrix(array)
                    self._set_data(small.reshape(-1), *small.shape)
                else:
                    self.kind = "tensor"
                    self._set_data(np.zeros(0), 0, 0)
                self.version = self._changes
            self._last_push = time.monotonic()

    def _set_data(self, flat: np.ndarray, rows: int, cols: int) -> None:
        finite = flat[np.isfinite(flat)]
        self.data = np.nan_to_num(flat).astype(float).tolist()
        self.rows, self.cols = rows, cols
        self.vmin = float(finite.min()) if finite.size else 0.0
        self.vmax = float(finite.max()) if finite.size else 0.0

    def set_value(self, value: Any) -> None:
        """Edit the variable (what the number box does)."""
        self._variable.set_value(value)

    def _on_message(self, widget, content, buffers) -> None:
        if content.get("kind") == "set":
            try:
                text = str(content["value"]).strip()
                value = np.asarray(ast.literal_eval(text)).astype(self._variable.dtype)
                self.set_value(value)
            except (ValueError, SyntaxError, TypeError) as exc:
                self.summary = f"could not set {self.name}: {exc}"
                self.push()

    def close(self) -> None:
        """Stop following the variable and close the widget."""
        self._closed = True
        self._variable.unobserve(self._callback)
        _LIVE.discard(self)
        super().close()


_LIVE: weakref.WeakSet[SharedWidget] = weakref.WeakSet()


class _Flusher:
    """One daemon thread for every live SharedWidget: each tick it sends the value of the widgets
    whose variable changed and whose interval has passed. Nothing runs per change, and no thread is
    started per interval; the thread ends when no widget is left."""

    TICK = 0.02  # seconds

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="graphlab-widget-flusher",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(self.TICK)
            widgets = list(_LIVE)
            if not widgets:
                with self._lock:
                    if not _LIVE:
                        self._thread = None
                        return
                continue
            now = time.monotonic()
            for widget in widgets:
                try:
                    widget._flush_if_due(now)
                except Exception:  # noqa: S110
                    pass  # a closing comm must not kill the thread the others need


_FLUSHER = _Flusher()


def flush_all() -> None:
    """Show the last value in every live shared widget (called after each cell runs)."""
    for widget in list(_LIVE):
        widget.flush()
