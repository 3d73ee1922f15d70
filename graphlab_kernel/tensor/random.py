"""Random streams, as Theano's `RandomStreams`: symbolic draws whose state lives in shared variables.

    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))
    f = function([], rv_u)                           # new values at each call
    g = function([], rv_u, no_default_updates=True)  # the same values at each call

Each draw method makes a random state of its own: a shared uint64 vector [key, draws] (`rv.rng`),
whose `default_update` advances it by one draw, so that every function using the variable
advances it at each call unless told not to. A draw is a pure function of the state and the
shape: `RandomDraw`, below, computes the standard values (uniform in [0, 1), standard normal,
Bernoulli, integers in a range) with the Philox4x32-10 generator of `philox.py`, on both
backends bit for bit (normal values: to a few ulp, from libm's log, cos and sin); the
parameters of continuous distributions are then applied by ordinary elementwise ops
(low + (high - low) * u, avg + std * z), which fuse with what follows and differentiate as usual.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from graphlab_kernel.configuration import config
from graphlab_kernel.gof.graph import Apply, Constant
from graphlab_kernel.gof.op import Op
from graphlab_kernel.tensor import philox
from graphlab_kernel.tensor.type import FLOAT_DTYPES, INT_DTYPES, TensorType
from graphlab_kernel.tensor.var import TensorVariable, as_tensor_variable, constant

__all__ = ["RandomDraw", "RandomStream", "RandomStreams"]

STATE_TYPE = TensorType("uint64", (False,))
# the parameters each kind of draw reads, per element (broadcast to the draw's shape)
PARAMETERS = {"uniform": (), "normal": (), "bernoulli": ("p",), "integers": ("low", "high")}
_OUTPUT_DTYPES = {"uniform": ("float32", "float64"), "normal": ("float32", "float64"),
                  "bernoulli": ("bool", *INT_DTYPES, "float32", "float64"),
                  "integers": ("int64",)}


class RandomDraw(Op):
    """Standard random values of a shape given by `ndim` scalar lengths, drawn from a random
    state (a uint64 vector [key, draws]): `kind` is 'uniform' ([0, 1)), 'normal' (standard),
    'bernoulli' (reads p, in [0, 1]) or 'integers' (int64 in [low, high], both included). The
    parameters come between the state and the lengths, with `ndim` dimensions each, and
    broadcast to the shape. The state is read, not changed: advancing it is the caller's
    update (see RandomStreams). No gradient flows through a draw."""

    __props__ = ("kind", "dtype", "ndim")

    def __init__(self, kind: str, dtype: str, ndim: int):
        if kind not in PARAMETERS:
            raise ValueError(f"RandomDraw: unknown kind {kind!r}; expected one of "
                             f"{', '.join(PARAMETERS)}")
        dtype = str(np.dtype(dtype))
        if dtype not in _OUTPUT_DTYPES[kind]:
            raise TypeError(f"a {kind} draw cannot have dtype {dtype}; expected one of "
                            f"{', '.join(_OUTPUT_DTYPES[kind])}")
        self.kind, self.dtype, self.ndim = kind, dtype, int(ndim)

    def __str__(self) -> str:
        return f"RandomDraw{{{self.kind}, {self.dtype}}}"

    def make_node(self, state, *rest) -> Apply:
        names = PARAMETERS[self.kind]
        state = as_tensor_variable(state, "random state")
        if state.type != STATE_TYPE:
            raise TypeError(f"{self}: the random state must be {STATE_TYPE}; got {state} "
                            f"({state.type})")
        if len(rest) != len(names) + self.ndim:
            raise TypeError(f"{self}: expected {len(names)} parameter(s) ({', '.join(names)}) "
                            f"and {self.ndim} length(s); got {len(rest)} inputs after the state")
        params = [as_tensor_variable(v, name) for v, name in zip(rest, names)]
        for name, v in zip(names, params):
            wanted = INT_DTYPES if self.kind == "integers" else FLOAT_DTYPES
            if v.ndim != self.ndim or v.dtype not in wanted or v.dtype == "float16":
                kind = "an int64" if self.kind == "integers" else "a float32 or float64"
                raise TypeError(f"{self}: {name} must be {kind} tensor of {self.ndim} "
                                f"dimension(s); got {v} ({v.type})")
            if self.kind == "integers" and v.dtype != "int64":
                raise TypeError(f"{self}: {name} must be int64; got {v} ({v.type})")
        lengths = [as_tensor_variable(s, f"length {d} of the size") for d, s in
                   enumerate(rest[len(names):])]
        for d, s in enumerate(lengths):
            if s.ndim != 0 or s.dtype not in INT_DTYPES:
                raise TypeError(f"{self}: length {d} of the size must be an integer scalar; got "
                                f"{s} ({s.type})")
        bcast = tuple(isinstance(s, Constant) and int(s.data) == 1 for s in lengths)
        return Apply(self, [state, *params, *lengths], [TensorType(self.dtype, bcast)()])

    def perform(self, node, inputs):
        names = PARAMETERS[self.kind]
        state, params, lengths = inputs[0], inputs[1:1 + len(names)], inputs[1 + len(names):]
        shape = tuple(int(s) for s in lengths)
        self._check_shapes(state, dict(zip(names, params)), shape)
        if self.kind == "uniform":
            return [philox.uniform(state, shape, self.dtype)]
        if self.kind == "normal":
            return [philox.normal(state, shape, self.dtype)]
        bad = self._first_bad(params, shape)
        if bad is not None:
            raise ValueError(self._bad_message(params, bad))
        if self.kind == "bernoulli":
            return [philox.bernoulli(state, params[0], shape, self.dtype)]
        return [philox.integers(state, params[0], params[1], shape)]

    def _check_shapes(self, state, params: dict, shape: tuple[int, ...]) -> None:
        if state.shape != (2,):
            raise ValueError(f"{self}: the random state must hold 2 values (key, draws); got "
                             f"shape {state.shape}")
        if any(s < 0 for s in shape):
            raise ValueError(f"{self}: negative length in the size {shape}")
        if philox._count(shape) > philox.MAX_ELEMENTS:
            raise ValueError(f"{self}: a draw of shape {shape} is too big (at most 2**57 values)")
        for name, v in params.items():
            if any(a not in (1, b) for a, b in zip(v.shape, shape)):
                raise ValueError(f"{self}: {name} of shape {v.shape} does not broadcast to the "
                                 f"size {shape}")

    def _first_bad(self, params, shape) -> tuple[int, ...] | None:
        """The index (in C order) of the first element whose parameters are out of range."""
        if self.kind == "bernoulli":
            p = np.broadcast_to(params[0], shape)
            bad = ~((p >= 0) & (p <= 1))
        else:
            bad = np.broadcast_to(params[1], shape) < np.broadcast_to(params[0], shape)
        if not bad.any():
            return None
        return tuple(int(i) for i in np.unravel_index(int(np.argmax(bad.reshape(-1))), shape))

    def _bad_message(self, params, index: tuple[int, ...]) -> str:
        def at(v):
            return v[tuple(0 if n == 1 else i for n, i in zip(v.shape, index))]
        where = f"at index {index}" if index else "in a scalar draw"
        if self.kind == "bernoulli":
            return f"{self}: p must be in [0, 1]; got p = {float(at(params[0])):.17g} {where}"
        low, high = int(at(params[0])), int(at(params[1]))
        return (f"{self}: high must not be below low; got low = {low}, high = {high} "
                f"{where}")

    def grad(self, inputs, outputs, output_grads):
        return [None] * len(inputs)

    def infer_shape(self, node, input_shapes):
        """The lengths given, checked as perform checks them (and a bernoulli draw's p, unless
        the draw is empty); None for integers, whose check pairs low and high value by value."""
        from graphlab_kernel.tensor import math as M
        from graphlab_kernel.tensor import lengths as L
        from graphlab_kernel.tensor.shape_checks import Checks
        if self.kind == "integers":
            return None
        names = PARAMETERS[self.kind]
        lengths = [L.length(v) for v in node.inputs[1 + len(names):]]
        checks = Checks(self)
        (state,) = input_shapes[0]
        checks.require([L.eq(state, 2)], "the random state must hold 2 values (key, draws); "
                       "got shape ", [state])
        checks.require([L.ge(n, 0) for n in lengths], "negative length in the size ", lengths)
        checks.require([_at_most(lengths, philox.MAX_ELEMENTS)], "a draw of shape ", lengths,
                       " is too big (at most 2**57 values)")
        for name, param, shape in zip(names, node.inputs[1:], input_shapes[1:]):
            fits = [L.any_of(L.eq(a, 1), L.eq(a, b))
                    for a, b, flag in zip(shape, lengths, param.broadcastable) if not flag]
            checks.require(fits, f"{name} of shape ", shape, " does not broadcast to the size ",
                           lengths)
        if self.kind == "bernoulli":
            p = node.inputs[1]
            valid = M.all(M.and_(M.ge(p, 0), M.le(p, 1)))
            checks.require([L.any_of(L.eq(L.product(lengths), 0), valid)],
                           "p must be in [0, 1]")
        return [checks.apply(lengths)]

    def pp(self, node, args: Sequence[str]) -> str:
        n = len(PARAMETERS[self.kind])
        params = "".join(f", {a}" for a in args[1:1 + n])
        return f"random_{self.kind}({args[0]}{params}, size=({', '.join(args[1 + n:])}))"


def _at_most(lengths, limit: int):
    """Whether the product of the lengths (each at least 0) is at most `limit`, without
    overflowing: each partial product is compared with `limit` divided by the one before."""
    from graphlab_kernel.tensor import lengths as L
    partial, fits = L.length(1), []
    for n in lengths:
        fits.append(L.le(n, L.floor_div(limit, L.maximum(partial, 1))))
        partial = L.mul(partial, n)
    return L.any_of(*(L.eq(n, 0) for n in lengths), L.all_of(*fits))


# --- building draws -----------------------------------------------------------------------------


def _size_lengths(size, ndim: int | None, params: Sequence, what: str) -> list:
    """The draw's lengths, checked (int64 constants or integer scalars): from `size`, or, when it
    is None, the parameters' broadcast shape. `params` are (name, variable) pairs."""
    lengths = _broadcast_lengths(params) if size is None else _listed_lengths(size, ndim, what)
    for d, s in enumerate(lengths):
        if isinstance(s, (bool, np.bool_)) or not isinstance(s, (int, np.integer, TensorVariable)):
            raise TypeError(f"{what}: length {d} of the size must be an integer; got "
                            f"{type(s).__name__} {s!r}")
        if isinstance(s, TensorVariable) and (s.ndim != 0 or s.dtype not in INT_DTYPES):
            raise TypeError(f"{what}: length {d} of the size must be an integer scalar; got {s} "
                            f"({s.type})")
    if any(not isinstance(s, TensorVariable) and s < 0 for s in lengths):
        shown = tuple(str(s) if isinstance(s, TensorVariable) else s for s in lengths)
        raise ValueError(f"{what}: the size must not have negative lengths; got {shown}")
    if ndim is not None and ndim != len(lengths):
        raise ValueError(f"{what}: ndim={ndim} but the size has {len(lengths)} length(s)")
    for name, v in params:
        if v.ndim > len(lengths):
            raise ValueError(f"{what}: {name} has {v.ndim} dimension(s), more than the "
                             f"{len(lengths)} of the size")
    return [s if isinstance(s, TensorVariable) else constant(int(s), dtype="int64")
            for s in lengths]


def _listed_lengths(size, ndim: int | None, what: str) -> list:
    """`size` as a list of lengths: an int, a list or tuple of ints and integer scalars, x.shape,
    a constant vector, or an integer vector (then `ndim` says its length)."""
    from graphlab_kernel.tensor.shape import Shape, shape_i
    if isinstance(size, (int, np.integer)) and not isinstance(size, (bool, np.bool_)):
        return [size]
    if isinstance(size, (list, tuple)):
        return list(size)
    size = as_tensor_variable(size, f"the size of {what}")
    if size.dtype not in INT_DTYPES or size.ndim > 1:
        raise TypeError(f"{what}: size must be a tuple of integers or an integer vector; got "
                        f"{size} ({size.type})")
    if size.ndim == 0:
        return [size]
    if isinstance(size, Constant):
        return [int(s) for s in size.data]
    if size.owner is not None and isinstance(size.owner.op, Shape):
        x = size.owner.inputs[0]
        return [shape_i(x, d) for d in range(x.ndim)]
    if ndim is None:
        raise TypeError(f"{what}: size {size} is a symbolic vector of unknown length; give ndim")
    return [size[d] for d in range(ndim)]


def _broadcast_lengths(params: Sequence) -> list:
    """The lengths of the parameters' broadcast shape (size=None, as Theano's): along each axis,
    the largest of the parameters' lengths (where they differ, the elementwise ops applying them
    refuse the shapes)."""
    from graphlab_kernel.tensor.math import maximum
    from graphlab_kernel.tensor.shape import shape_i
    ndim = max((v.ndim for _, v in params), default=0)
    lengths = []
    for d in range(ndim):
        axis = [shape_i(v, d - ndim + v.ndim) for _, v in params
                if d - ndim + v.ndim >= 0 and not v.broadcastable[d - ndim + v.ndim]]
        if not axis:
            lengths.append(1)
            continue
        length = axis[0]
        for other in axis[1:]:
            length = maximum(length, other)
        lengths.append(length)
    return lengths


def _padded(v, ndim: int):
    """v with broadcastable axes in front, to `ndim` dimensions."""
    from graphlab_kernel.tensor.shape import shape_padleft
    return shape_padleft(v, ndim - v.ndim) if v.ndim < ndim else v


def _float_dtype(dtype: str | None, params: Sequence, what: str) -> str:
    """The dtype of a continuous draw: the one given, else config.floatX upcast with the
    symbolic parameters' float dtypes (as Theano's)."""
    if dtype is None:
        dtype = np.result_type(config.floatX, *(v.dtype for v in params
                                                if isinstance(v, TensorVariable)
                                                and v.dtype in FLOAT_DTYPES))
    dtype = str(np.dtype(dtype))
    if dtype not in ("float32", "float64"):
        raise TypeError(f"{what}: dtype must be float32 or float64; got {dtype}")
    return dtype


def _constant_values(v) -> np.ndarray | None:
    return np.asarray(v.data) if isinstance(v, Constant) else None


class RandomStreams:
    """A source of random variables, as Theano's shared_randomstreams.RandomStreams.

    `seed` is an int in [0, 2**64) (None: one from the operating system's entropy). Each draw
    method returns a new random variable with a random state of its own (`rv.rng`, a shared
    variable, whose `default_update` advances it; `rv.update` is the pair), listed in
    `state_updates`. Stream number j of seed s starts from the key hashed from (s, j), so the
    same seed and the same sequence of draw calls give the same values on either backend.

    `size` is a tuple of ints and integer scalars (x.shape[0], n * 2, ...), an int, x.shape, or
    an integer vector with `ndim` given; None (the default) takes the parameters' broadcast
    shape. The C backend needs the lengths before any value: a size vector given as a function
    input (not x.shape) makes the function run on NumPy, as an alloc of such lengths does.
    """

    def __init__(self, seed: int | None = None):
        self.default_instance_seed = _check_seed(seed) if seed is not None else _fresh_seed()
        self._seed = self.default_instance_seed
        self.state_updates: list[tuple] = []

    def seed(self, seed: int | None = None) -> None:
        """Restart every stream made so far, and those made from now on, from `seed`
        (default_instance_seed when None): stream j's state becomes that of seed's stream j."""
        seed = self.default_instance_seed if seed is None else _check_seed(seed)
        self._seed = seed
        for j, (state, _) in enumerate(self.state_updates):
            state.set_value(philox.initial_state(seed, j))

    def updates(self) -> list[tuple]:
        """Each random state and its next value, as (shared variable, expression) pairs."""
        return list(self.state_updates)

    def _new_state(self):
        from graphlab_kernel.compile.shared import shared
        from graphlab_kernel.tensor.math import add
        j = len(self.state_updates)
        state = shared(philox.initial_state(self._seed, j), name=f"random_state_{j}")
        advanced = add(state, constant(np.array([0, 1], dtype=np.uint64)))
        state.default_update = advanced
        self.state_updates.append((state, advanced))
        return state, advanced

    def _draw(self, kind: str, dtype: str, lengths: list, params: Sequence = ()):
        state, advanced = self._new_state()
        draw = RandomDraw(kind, dtype, len(lengths))(state, *[_padded(v, len(lengths))
                                                             for v in params], *lengths)
        return draw, state, advanced

    @staticmethod
    def _attach(out, state, advanced) -> TensorVariable:
        out.rng = state
        out.update = (state, advanced)
        return out

    def uniform(self, size=None, low=0.0, high=1.0, ndim: int | None = None,
                dtype: str | None = None) -> TensorVariable:
        """Values uniform in [low, high) (low + (high - low) * u, so float rounding may reach
        high); low and high may be symbolic and broadcast to `size`."""
        from graphlab_kernel.tensor.math import cast
        dtype = _float_dtype(dtype, (low, high), "uniform")
        low = as_tensor_variable(low, "low of uniform", partner_dtype=dtype)
        high = as_tensor_variable(high, "high of uniform", partner_dtype=dtype)
        lengths = _size_lengths(size, ndim, [("low", low), ("high", high)], "uniform")
        u, state, advanced = self._draw("uniform", dtype, lengths)
        return self._attach(cast(low + (high - low) * u, dtype), state, advanced)

    def normal(self, size=None, avg=0.0, std=1.0, ndim: int | None = None,
               dtype: str | None = None) -> TensorVariable:
        """Normal values of mean `avg` and standard deviation `std` (avg + std * z, z standard
        normal); avg and std may be symbolic and broadcast to `size`. A constant std must not be
        negative; a symbolic one is not checked (a negative std flips the values' signs)."""
        from graphlab_kernel.tensor.math import cast
        dtype = _float_dtype(dtype, (avg, std), "normal")
        avg = as_tensor_variable(avg, "avg of normal", partner_dtype=dtype)
        std = as_tensor_variable(std, "std of normal", partner_dtype=dtype)
        known = _constant_values(std)
        if known is not None and np.any(known < 0):
            raise ValueError(f"normal: std must not be negative; got {known}")
        lengths = _size_lengths(size, ndim, [("avg", avg), ("std", std)], "normal")
        z, state, advanced = self._draw("normal", dtype, lengths)
        return self._attach(cast(avg + std * z, dtype), state, advanced)

    def binomial(self, size=None, n=1, p=0.5, ndim: int | None = None, dtype: str = "int64",
                 prob=None) -> TensorVariable:
        """The number of successes in n trials of probability p (an int, or an integer scalar
        for the number of trials), as Theano's binomial; n=1 (the default) is a Bernoulli draw,
        1 with probability p, exactly (a uniform value below p), as dropout masks want. p may be
        symbolic and broadcast to `size`; it must be in [0, 1]: a constant is checked here, a
        symbolic one when the function runs (a ValueError naming p)."""
        from graphlab_kernel.tensor.math import cast, sum as sum_
        from graphlab_kernel.tensor.shape import shape_padleft
        if prob is not None:  # Theano's old spelling
            p = prob
        p = as_tensor_variable(p, "p of binomial", partner_dtype="float64")
        if p.dtype not in FLOAT_DTYPES or p.dtype == "float16":
            p = cast(p, "float64")
        known = _constant_values(p)
        if known is not None and not np.all((known >= 0) & (known <= 1)):
            raise ValueError(f"binomial: p must be in [0, 1]; got {known}")
        n = _trials(n)
        dtype = str(np.dtype(dtype))
        lengths = _size_lengths(size, ndim, [("p", p)], "binomial")
        if isinstance(n, int) and n == 1:
            draw, state, advanced = self._draw("bernoulli", dtype, lengths, [p])
            return self._attach(draw, state, advanced)
        p = shape_padleft(_padded(p, len(lengths)))
        n = constant(n, dtype="int64") if isinstance(n, int) else n
        trials, state, advanced = self._draw("bernoulli", "int64", [n, *lengths], [p])
        return self._attach(cast(sum_(trials, axis=0), dtype), state, advanced)

    def random_integers(self, size=None, low=0, high=1, ndim: int | None = None,
                        dtype: str = "int64") -> TensorVariable:
        """Integers uniform in [low, high], both included (Theano's random_integers), without
        modulo bias; low and high may be symbolic and broadcast to `size`. high must not be
        below low: constants are checked here, symbolic ones when the function runs. The values
        are drawn as int64, then cast to `dtype` (wrapping around outside its range)."""
        from graphlab_kernel.tensor.math import cast
        bounds = []
        for name, v in (("low", low), ("high", high)):
            v = as_tensor_variable(v, f"{name} of random_integers", partner_dtype="int64")
            if v.dtype not in INT_DTYPES:
                raise TypeError(f"random_integers: {name} must be an integer; got {v} ({v.type})")
            bounds.append(cast(v, "int64"))
        known_low, known_high = (_constant_values(v) for v in bounds)
        if known_low is not None and known_high is not None and np.any(known_high < known_low):
            raise ValueError(f"random_integers: high must not be below low; got low = "
                             f"{known_low}, high = {known_high}")
        dtype = str(np.dtype(dtype))
        if dtype not in INT_DTYPES:
            raise TypeError(f"random_integers: dtype must be an integer dtype; got {dtype}")
        lengths = _size_lengths(size, ndim, list(zip(("low", "high"), bounds)),
                                "random_integers")
        draw, state, advanced = self._draw("integers", "int64", lengths, bounds)
        return self._attach(cast(draw, dtype), state, advanced)


RandomStream = RandomStreams  # Aesara's and PyTensor's name


def _trials(n):
    """binomial's n: a non-negative int or an integer scalar variable."""
    if isinstance(n, (bool, np.bool_)):
        raise TypeError(f"binomial: n must be an integer; got {n!r}")
    if isinstance(n, (int, np.integer)):
        if n < 0:
            raise ValueError(f"binomial: n must not be negative; got {n}")
        return int(n)
    n = as_tensor_variable(n, "n of binomial")
    if n.ndim != 0 or n.dtype not in INT_DTYPES:
        raise TypeError(f"binomial: n must be an integer or an integer scalar; got {n} "
                        f"({n.type})")
    if isinstance(n, Constant):
        return _trials(int(n.data))
    return n


def _check_seed(seed) -> int:
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"the seed must be an int; got {type(seed).__name__} {seed!r}")
    seed = int(seed)
    if not 0 <= seed < 2 ** 64:
        raise ValueError(f"the seed must be in [0, 2**64); got {seed}")
    return seed


def _fresh_seed() -> int:
    return int.from_bytes(os.urandom(8), "little")
