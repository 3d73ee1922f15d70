"""Compile a rendered module with cffi (API mode) and the system C compiler, and call it.

cffi writes the extension's C file (`emit_c_code`); the compiler is then run directly, which is much
faster than going through setuptools. The library is cached (cache.py) under a name derived from a
hash of the source, the compiler (path, size, mtime), the flags and the relevant versions.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.machinery
import importlib.util
import io
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from graphlab_kernel.backend.c import cache
from graphlab_kernel.backend.c.codegen import Rendered
from graphlab_kernel.backend.c.direct import make_direct_call

# -O2 vectorizes; -fno-math-errno lets sqrt & co. inline; -fwrapv gives integer overflow NumPy's
# wrap-around; no -ffast-math, and no FMA contraction, so NaN, inf and rounding match NumPy.
FLAGS = ("-O2", "-fvect-cost-model=dynamic", "-fno-math-errno", "-fwrapv", "-fno-strict-aliasing",
         "-ffp-contract=off", "-march=native", "-fPIC", "-w")
GENERATOR_VERSION = "1"
COMPILE_TIMEOUT = 120  # seconds; a slower compile falls back to NumPy with a warning


class CompileError(RuntimeError):
    """The C compiler rejected a generated module (a bug in the code generator)."""


def compiler_command() -> list[str]:
    """The C compiler: $CC if set, else `cc`."""
    return shlex.split(os.environ.get("CC") or "cc")


def toolchain_problem() -> str | None:
    """Why the C backend cannot work here (None when it can)."""
    return _toolchain_problem(os.environ.get("CC") or "cc")


@lru_cache(maxsize=8)
def _toolchain_problem(cc: str) -> str | None:
    if any(importlib.util.find_spec(name) is None for name in ("cffi", "_cffi_backend")):
        return "cffi is not installed"
    argv = shlex.split(cc)
    if not argv or shutil.which(argv[0]) is None:
        return f"no C compiler found (CC={cc!r})"
    return None


@lru_cache(maxsize=8)
def _compiler_identity(cc: str) -> str:
    path = shutil.which(shlex.split(cc)[0]) or cc
    real = os.path.realpath(path)
    st = os.stat(real)
    return f"{cc}|{real}|{st.st_size}|{st.st_mtime_ns}"


@lru_cache(maxsize=1)
def _blas() -> tuple[list[str], str]:
    """Link flags for an OpenBLAS with the scipy-openblas64 symbols, and its identity (for the
    cache key); no flags when none is found (matrix products then use plain loops).

    NumPy's own copy (in numpy.libs) is preferred when its wheel vendors one: sharing NumPy's thread
    pool avoids two OpenBLAS pools spinning against each other on the same cores. Otherwise the
    scipy-openblas64 wheel, which exists to be built against. Found without importing anything.
    """
    candidates = []
    numpy_spec = importlib.util.find_spec("numpy")
    if numpy_spec is not None and numpy_spec.submodule_search_locations:
        vendored = os.path.join(os.path.dirname(next(iter(numpy_spec.submodule_search_locations))),
                                "numpy.libs")
        if os.path.isdir(vendored):
            candidates += sorted(os.path.join(vendored, f) for f in os.listdir(vendored)
                                 if f.startswith("libscipy_openblas64_") and ".so" in f)
    wheel = importlib.util.find_spec("scipy_openblas64")
    if wheel is not None and wheel.submodule_search_locations:
        candidates.append(os.path.join(next(iter(wheel.submodule_search_locations)), "lib",
                                       "libscipy_openblas64_.so"))
    for path in candidates:
        if os.path.exists(path):
            st = os.stat(path)
            flags = ["-DGL_HAVE_BLAS", path, f"-Wl,-rpath,{os.path.dirname(path)}"]
            return flags, f"{path}|{st.st_size}|{st.st_mtime_ns}"
    return [], "no-blas"


@lru_cache(maxsize=1)
def _mvec() -> list[str]:
    """glibc's vector math library, when present: lets loops calling exp, tanh, ... vectorize."""
    # the multiarch triplet from sys.implementation: sysconfig's first use costs a millisecond
    arch = getattr(sys.implementation, "_multiarch", "") or ""
    dirs = [f"/usr/lib/{arch}", f"/lib/{arch}", "/usr/lib64", "/lib64", "/usr/lib"]
    found = any(os.path.exists(os.path.join(d, "libmvec.so")) for d in dirs)
    return ["-DGL_HAVE_MVEC", "-lmvec"] if found else []


def _module_name(rendered: Rendered) -> tuple[str, list[str]]:
    import _cffi_backend  # the compiled modules need it anyway; importing `cffi` costs more
    cc = os.environ.get("CC") or "cc"
    blas_flags, blas_id = _blas()
    flags = list(FLAGS) + blas_flags + _mvec()
    key = "\0".join([rendered.source, rendered.cdef, _compiler_identity(cc), " ".join(flags),
                     _cffi_backend.__version__, sys.implementation.cache_tag, sys.platform,
                     GENERATOR_VERSION, blas_id])
    return "_gl_" + hashlib.sha256(key.encode()).hexdigest()[:32], flags


def _build(module: str, rendered: Rendered, flags: list[str]):
    """The builder for the cache: the generated kernel is compiled with the optimizing flags and,
    in parallel, cffi's wrapper (mostly Python.h glue) at -O1; then both are linked."""
    def build(work) -> bytes:
        import cffi
        ffi = cffi.FFI()
        ffi.cdef(rendered.cdef)
        prototypes = "\n".join(f"extern {line}" for line in rendered.cdef.splitlines()
                               if not line.startswith('extern "Python'))
        ffi.set_source(module, "#include <stdint.h>\n" + prototypes)
        kernel_c, wrapper_c = work / "kernel.c", work / f"{module}.c"
        kernel_c.write_text(rendered.source)
        with contextlib.redirect_stdout(io.StringIO()):  # cffi prints "generating ..."
            ffi.emit_c_code(str(wrapper_c))
        include = sysconfig.get_paths()["include"]
        cc = compiler_command()
        blas_flags = flags[len(FLAGS):]
        defines = [f for f in blas_flags if f.startswith("-D")]
        link = [f for f in blas_flags if not f.startswith("-D")]
        jobs = [cc + list(FLAGS) + defines + ["-c", str(kernel_c), "-o", str(work / "k.o")],
                cc + ["-O1", "-fPIC", "-w", f"-I{include}", "-c", str(wrapper_c), "-o",
                      str(work / "w.o")]]
        _run_all(jobs)
        _run_all([cc + ["-shared", str(work / "k.o"), str(work / "w.o"), "-o",
                        str(work / "m.so"), "-lm", "-pthread"] + link])
        return (work / "m.so").read_bytes()
    return build


def _run_all(commands: list[list[str]]) -> None:
    procs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for c in commands]
    errors = []
    for p in procs:
        try:
            _, err = p.communicate(timeout=COMPILE_TIMEOUT)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            err = f"the compiler ran longer than {COMPILE_TIMEOUT} s and was stopped"
        if p.returncode != 0:
            errors.append(err)
    if errors:
        raise CompileError("the C compiler failed on a generated module:\n"
                           + "\n".join(errors)[-3000:])


_loaded: dict[str, object] = {}


def load(rendered: Rendered):
    """The compiled module for `rendered` (its `.lib` and `.ffi`), from the cache or built now.
    A module that runs parts in parallel is bound to the process's thread pool (pool.c)."""
    module, flags = _module_name(rendered)
    if module in _loaded:
        return _loaded[module]
    pool_build = None
    if rendered.parallel and thread_pool.cache_info().currsize == 0 \
            and not cache.entry_is_valid(cache.cache_dir(), module):
        import threading  # build the pool's library (if need be) while the module compiles
        pool_build = threading.Thread(target=thread_pool, name="graphlab-pool-build", daemon=True)
        pool_build.start()
    path = cache.get_or_build(module, _build(module, rendered, flags))
    loader = importlib.machinery.ExtensionFileLoader(module, str(path))
    spec = importlib.util.spec_from_file_location(module, str(path), loader=loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    if rendered.python_nodes:  # the nodes run in Python call back through this
        mod.ffi.def_extern(name="gl_py")(_python_dispatch(mod.ffi))
    if rendered.parallel:
        if pool_build is not None:
            pool_build.join()
        pool = thread_pool()
        if pool is not None:  # else, or if it fails to load, parts run on the calling thread
            mod.lib.gl_bind_pool(pool.path_bytes)
    _loaded[module] = mod
    return mod


class ThreadPool:
    """The process's thread pool (pool.c): a plain shared library in the cache (no Python glue to
    compile), which each compiled module that runs parts in parallel loads (dlopen: one copy per
    process) through gl_bind_pool."""

    def __init__(self, path: Path):
        self.path = path
        self.path_bytes = os.fsencode(path)

    def threads(self) -> int:
        """The number of threads regions run on (the caller's included): GRAPHLAB_NUM_THREADS,
        or the CPUs this process may use, at most 16."""
        import ctypes
        library = ctypes.CDLL(str(self.path))
        library.gl_pool_threads.restype = ctypes.c_int
        return library.gl_pool_threads()


POOL_SOURCE = (Path(__file__).with_name("pool.c")).read_text()


@lru_cache(maxsize=1)
def thread_pool() -> ThreadPool | None:
    """The thread pool, compiled once into the cache; None (with a warning) when it cannot be
    built, and then compiled functions run on the calling thread alone."""
    cc = os.environ.get("CC") or "cc"
    key = "\0".join([POOL_SOURCE, _compiler_identity(cc), " ".join(FLAGS), sys.platform,
                     GENERATOR_VERSION])
    module = "_gl_pool_" + hashlib.sha256(key.encode()).hexdigest()[:24]

    def build(work) -> bytes:
        source = work / "pool.c"
        source.write_text(POOL_SOURCE)
        _run_all([compiler_command() + list(FLAGS) + ["-shared", str(source), "-o",
                                                      str(work / "pool.so"), "-pthread"]])
        return (work / "pool.so").read_bytes()

    try:
        return ThreadPool(cache.get_or_build(module, build))
    except (CompileError, OSError) as exc:
        import warnings
        warnings.warn(f"graphlab: no thread pool ({exc}); compiled functions run on one thread",
                      RuntimeWarning, stacklevel=2)
        return None


# --- calling --------------------------------------------------------------------------------


def make_runner(mod, rendered: Rendered, fgraph):
    """`run(values) -> outputs` calling the module's gl_call; outputs are fresh arrays.

    The outputs are allocated with the previous call's shapes, and gl_call computes only if those
    were right (one C call in a loop over same-shaped data); otherwise it reports the real shapes,
    and the call is made again with outputs of those shapes. Every argument of gl_call is a plain
    value (a pointer or an integer), so that nothing is built for it but the argument list."""
    lib, ffi = mod.lib, mod.ffi
    gl_call = lib.gl_call
    from_buffer, cast = ffi.from_buffer, ffi.cast
    in_specs = [(np.dtype(v.type.dtype), v.type.ndim, str(v), i in rendered.by_value)
                for i, v in enumerate(fgraph.inputs)]
    hidden = []
    for a in rendered.hidden_inputs:
        hidden.append(from_buffer(a))
        hidden += a.shape
        hidden += a.strides
    dtypes = [np.dtype(v.type.dtype) for v in fgraph.outputs]
    ranks = [v.type.ndim for v in fgraph.outputs]
    n_dims = sum(ranks)
    empty = np.empty
    python = PythonNodes(ffi, rendered, fgraph) if rendered.python_nodes else None
    # the previous call's output shapes, the guess for the next call (the direct call's too)
    memo = [[() if r == 0 else (0,) * r for r in ranks]]

    def real_shapes() -> list[tuple]:
        flat = ffi.unpack(lib.gl_shapes(), n_dims)
        shapes, k = [], 0
        for r in ranks:
            shapes.append(tuple(flat[k:k + r]))
            k += r
        return shapes

    def run(values):
        args = []
        for k, (a, (dtype, ndim, label, by_value)) in enumerate(zip(values, in_specs)):
            if type(a) is not np.ndarray or a.dtype is not dtype or a.ndim != ndim:
                a = _check_value(a, dtype, ndim, label)
                if python is not None:  # its nodes read the arguments as the C does
                    values = [*values[:k], a, *values[k + 1:]]
            if by_value:  # a 0-d float64 or int64 array: cffi reads its value
                args.append(a)
                continue
            try:
                args.append(from_buffer(a))
            except (ValueError, TypeError, BufferError):  # not contiguous: pass its address
                args.append(cast("char *", a.__array_interface__["data"][0]))
            args += a.shape
            args += a.strides
        args += hidden
        shapes = memo[0]
        outer_call = python.begin(values) if python is not None else None
        try:
            for _ in range(2):
                results, outs = [], []
                for shape, dtype in zip(shapes, dtypes):
                    out = empty(shape, dtype)
                    results.append(out)
                    outs.append(from_buffer(out))
                    outs += shape
                status = gl_call(1, *outs, *args)
                if status == 0:
                    memo[0] = shapes
                    return results
                if status != -1:
                    break
                shapes = real_shapes()  # the shapes changed: allocate those, and call again
            if status == 6:  # a node run in Python raised: that exception
                raise python.error() from None
        finally:
            if python is not None:
                python.end(outer_call)
        if status == 4:  # an input's data or strides are not aligned to its item size
            return run([aligned(a) for a in values])
        _raise(status, ffi.string(lib.gl_error()).decode(errors="replace"))

    def direct_call(n_args, shared, targets, n_outputs, single):
        """The function's direct call (see direct.py), sharing this runner's output shapes."""
        return make_direct_call(gl_call, from_buffer, tuple(hidden), fgraph, memo,
                                rendered.in_place, rendered.by_value, n_args, shared, targets,
                                n_outputs, single)

    if python is None:  # the direct call knows nothing of nodes run in Python
        run.direct_call = direct_call
    else:
        run.python_nodes = python
        run.inner_backend = "c"  # where the loops it calls back for compile their bodies
    return run


class _Call:
    """What the nodes run in Python keep during one call: their results, by node (handed back
    again when gl_run runs again in the same call), and the exception one of them raised."""

    def __init__(self, inputs: list):
        self.inputs = inputs  # the function's arguments, as the C reads them
        self.results: dict[int, list] = {}
        self.exception: BaseException | None = None


class PythonNodes:
    """The nodes of one compiled function that run in Python (codegen._python_node).

    The module calls `gl_py(ctx, k, ...)` from its shape code; `ctx` is a handle to this object
    (written into the module's hidden input for it), and each thread's current call is kept
    apart (`begin`/`end` around a call), so concurrent or nested calls of the function do not
    mix."""

    def __init__(self, ffi, rendered: Rendered, fgraph):
        self.ffi = ffi
        self.nodes = list(rendered.python_nodes)
        # the perform each backend would run: a Scan compiles its body for C (its loop in C)
        self.performs = [node.op.make_perform(node, "c") if hasattr(node.op, "make_perform")
                         else node.op.perform for node in self.nodes]
        # graphlab's own ops run in Python (Scan, Print: `in_python`) read the C's memory in
        # place; any other op gets copies, which it may keep or write: the C's buffers are
        # given back, and reused, when the call ends
        self.views = [getattr(node.op, "in_python", None) is not None for node in self.nodes]
        # per node, per input: the function argument it is (its array is at hand), or None
        position = {v: i for i, v in enumerate(fgraph.inputs)}
        self.arguments = [[position.get(v) for v in node.inputs] for node in self.nodes]
        self.local = threading.local()
        self.handle = ffi.new_handle(self)  # alive as long as this object: the runner holds it
        slot = len(rendered.hidden_inputs) - (2 if rendered.profiled is not None else 1)
        rendered.hidden_inputs[slot][0] = int(ffi.cast("intptr_t", self.handle))

    def begin(self, inputs: list):
        """Start a call on this thread, of these arguments; returns the call it interrupts (a
        node of the function calling the function itself), which `end` restores."""
        outer = getattr(self.local, "call", None)
        self.local.call = _Call(inputs)
        return outer

    def end(self, outer) -> None:
        self.local.call = outer

    def error(self) -> BaseException:
        return self.local.call.exception or RuntimeError("a node run in Python failed")

    def run(self, k: int, ins, in_dims, outs, out_dims) -> int:
        call = getattr(self.local, "call", None)
        if call is None:
            return 1
        node = self.nodes[k]
        results = call.results.get(k)
        if results is None:
            values, at, view = [], 0, self.views[k]
            for j, (v, argument) in enumerate(zip(node.inputs, self.arguments[k])):
                r = v.type.ndim
                if argument is not None and view:  # the argument itself (what the C reads)
                    values.append(call.inputs[argument])
                else:
                    shape = tuple(in_dims[at:at + r])
                    strides = tuple(in_dims[at + r:at + 2 * r])
                    value = _array_at(self.ffi, ins[j], shape, strides, v.type.dtype)
                    values.append(value if view else np.array(value, copy=True))
                at += 2 * r
            try:
                results = [_checked_result(node, j, out, values) for j, out in
                           enumerate(self.performs[k](node, values))]
            except Exception as exc:  # raised again by the runner, as the NumPy backend does
                from graphlab_kernel.backend.numpy_backend import annotated
                call.exception = annotated(exc, node, values)
                return 1
            except BaseException as exc:  # KeyboardInterrupt, SystemExit: as they are
                call.exception = exc
                return 1
            call.results[k] = results
        at = 0
        for j, a in enumerate(results):
            outs[j] = self.ffi.cast("char *", a.ctypes.data)
            r = a.ndim
            out_dims[at:at + r] = a.shape
            out_dims[at + r:at + 2 * r] = a.strides
            at += 2 * r
        return 0


def _python_dispatch(ffi):
    """The module's `gl_py`: the call goes to the PythonNodes whose handle is `ctx`."""
    def gl_py(ctx, node, ins, in_dims, outs, out_dims):
        try:
            return ffi.from_handle(ctx).run(node, ins, in_dims, outs, out_dims)
        except BaseException:  # never let an exception cross into C: the node fails instead
            return 1
    return gl_py


def _array_at(ffi, pointer, shape: tuple, strides: tuple, dtype: str) -> np.ndarray:
    """A read-only array viewing the C memory at `pointer` (any strides, negative ones too)."""
    dtype = np.dtype(dtype)
    if any(n == 0 for n in shape):
        return np.empty(shape, dtype)
    low = sum((n - 1) * st for n, st in zip(shape, strides) if st < 0)
    high = sum((n - 1) * st for n, st in zip(shape, strides) if st > 0) + dtype.itemsize
    memory = ffi.buffer(pointer + low, high - low)
    array = np.ndarray(shape, dtype, buffer=memory, offset=-low, strides=strides)
    array.flags.writeable = False
    return array


def _checked_result(node, j: int, value, inputs: list) -> np.ndarray:
    """Output j of a node run in Python, as the C may take it: of its type's dtype and rank, of
    length 1 where it broadcasts, aligned, and never memory of the C's (a copy if it may share
    an input's: the C may reuse its buffers once the inputs are dead)."""
    out = node.outputs[j]
    array = np.asarray(value)
    t = out.type
    if array.dtype != np.dtype(t.dtype) or array.ndim != t.ndim or any(
            b and n != 1 for b, n in zip(t.broadcastable, array.shape)):
        raise TypeError(f"{node.op} returned output {j} as a {array.dtype} array of shape "
                        f"{array.shape}; its type is {t}")
    if not array.flags.aligned or any(np.may_share_memory(array, x) for x in inputs):
        array = np.array(array, copy=True)
    return array


def make_loop(mod, rendered: Rendered):
    """`loop(phase, n, until, inputs, outputs, oshape) -> (status, taken, message)` calling the
    module's gl_loop (codegen._loop_entry). `inputs` are (array, step, offset, wrap) per graph
    input, the array being where rows are read from (it must be aligned, its rows of the input's
    dtype and rank); `outputs` the same per output, with C-contiguous rows; `oshape` the outputs'
    expected row shapes, flat, which gl_loop overwrites with the real ones. The module's hidden
    constants are added here. The arrays stay referenced until the call returns."""
    lib, ffi = mod.lib, mod.ffi
    gl_loop, new, from_buffer, cast = lib.gl_loop, ffi.new, ffi.from_buffer, ffi.cast
    hidden = [(a, 0, 0, 0) for a in rendered.hidden_inputs]

    def address(a):
        try:
            return from_buffer(a)
        except (ValueError, TypeError, BufferError):  # not contiguous: pass its address
            return cast("char *", a.__array_interface__["data"][0])

    def loop(phase: int, n: int, until: bool, inputs: list, outputs: list, oshape: list):
        inputs = inputs + hidden
        bases = [address(a) for a, *_ in inputs]
        rows = [(a.shape[1:], a.strides[1:]) if step else (a.shape, a.strides)
                for a, step, _, _ in inputs]
        desc = [x for _, *d in inputs for x in d]
        for shape, strides in rows:
            desc += shape
            desc += strides
        out_desc = [x for _, *d in outputs for x in d]
        shapes = new("int64_t[]", list(oshape) or [0])
        taken = new("int64_t *")
        status = gl_loop(phase, n, until, taken, new("char *[]", bases or [ffi.NULL]),
                         new("int64_t[]", desc or [0]),
                         new("char *[]", [address(a) for a, *_ in outputs] or [ffi.NULL]),
                         new("int64_t[]", out_desc or [0]), shapes)
        oshape[:] = list(shapes)[:len(oshape)]
        message = ffi.string(lib.gl_error()).decode(errors="replace") if status > 0 else ""
        return status, taken[0], message

    return loop


def aligned(a):
    """`a`, or an aligned copy of it (an array can be misaligned as a view into raw bytes; an
    empty one NumPy calls aligned even then, and its copy costs nothing)."""
    if isinstance(a, np.ndarray) and (not a.flags.aligned or a.size == 0):
        return a.copy()
    return a


def make_scalar_call(mod, fgraph):
    """A by-value fast path for one-output, all-0-d float64/int64 graphs: `call(args)` returns
    the output array, or None when an argument is not exactly a Python float (for float64) or
    int (for int64), or when the C call failed; the general path then runs (and raises)."""
    lib = mod.lib
    kinds = tuple(float if v.type.dtype == "float64" else int for v in fgraph.inputs)
    gl_scalar, failed = lib.gl_scalar, lib.gl_scalar_failed
    array = np.array
    sentinel = float("nan") if fgraph.outputs[0].type.dtype == "float64" else -2**63

    def failure(r) -> bool:
        # Only a sentinel-valued result can mean failure; a genuine NaN is told apart by the flag.
        return (r != r or r == sentinel) and bool(failed())

    if len(kinds) == 2:
        k0, k1 = kinds

        def call2(args):
            if len(args) != 2:
                return None
            a, b = args
            if type(a) is not k0 or type(b) is not k1:
                return None
            try:
                r = gl_scalar(a, b)
            except OverflowError:
                return None
            if (r != r or r == sentinel) and failure(r):
                return None
            return array(r)
        return call2

    def call(args):
        if len(args) != len(kinds):
            return None
        for a, k in zip(args, kinds):
            if type(a) is not k:
                return None
        try:
            r = gl_scalar(*args)
        except OverflowError:
            return None
        return None if failure(r) else array(r)
    return call


def _check_value(a, dtype, ndim, label):
    a = np.asarray(a)
    if a.dtype != dtype or a.ndim != ndim:
        raise TypeError(f"{label}: expected a {ndim}-d array of {dtype}; got a {a.ndim}-d array "
                        f"of {a.dtype} with shape {a.shape}")
    return a


def status_error(status: int, message: str) -> Exception:
    """The exception for a failed call's status (codegen's module docstring lists them)."""
    if status == 2:
        return MemoryError(message)
    if status == 3:
        from graphlab_kernel.tensor.subtensor import IndexOutOfRangeError
        return IndexOutOfRangeError(message)
    return ValueError(message)


def _raise(status: int, message: str):
    raise status_error(status, message)
