"""The direct call: a Python function generated for one compiled function, which takes its
arguments, calls the C entry and stores the shared variables' new values in one flat piece of code.

The general path (Function.__call__ and the runner) loops over the inputs twice and over the
outputs once, through lists and zips: about 3 us a call, which is a tenth of the seed's whole
training step. The direct call does the same work unrolled for this function's inputs and
outputs, and takes only the common case: every argument already an ndarray of the exact dtype
and rank (or an int or float, Python's or NumPy's, for an int64 or float64 scalar), the outputs
of the shapes the last call had, and a C call that succeeds. For anything else it returns None
before any effect, and the general path runs (converting, reallocating, or raising the error it
reports). A shared variable whose update the C code can compute in place (Rendered.in_place)
gets its own array passed as that output's buffer, when it is writable and C-contiguous: its new
value is then the same array, updated. As with dataclasses and namedtuple, the code is written
as source and compiled with exec, so that it costs no more than code written by hand for the
function.
"""

from __future__ import annotations

import numpy as np


# what a by-value argument may be as it is, besides a 0-d array of its dtype
_SCALAR_KINDS = {"int64": (int, np.int64), "float64": (float, np.float64)}


def make_direct_call(gl_call, from_buffer, hidden: tuple, fgraph, memo: list, in_place: dict,
                     by_value: frozenset, n_args: int, shared: list, targets: list,
                     n_outputs: int, single: bool):
    """`call(args)`: the function's outputs (as Function.__call__ returns them) after storing the
    updates, or None (having done nothing) when the general path must run.

    `fgraph.inputs` are the n_args arguments, then the `shared` variables' values; its outputs
    are the n_outputs results, then the new values of `targets`. `hidden` are gl_call's trailing
    arguments (constant arrays); memo[0] is the outputs' shapes the last call had; `in_place`
    maps output indices to the input whose array may be their buffer; gl_call takes the inputs
    `by_value` (0-d float64 and int64) as values, which cffi reads from a Python float or int,
    a NumPy scalar or a 0-d array alike (a Python int beyond int64 raises OverflowError)."""
    ns = {"ndarray": np.ndarray, "empty": np.empty, "fb": from_buffer,
          "gl_call": gl_call, "hidden": hidden, "memo": memo}
    n_in = len(fgraph.inputs)
    lines = ["def direct(args):", f"    if len(args) != {n_args}:", "        return None"]
    if n_args:
        lines.append(f"    {', '.join(f'a{i}' for i in range(n_args))}, = args")
    lines += [f"    a{i} = sh{i}._value" for i in range(n_args, n_in)]
    ns.update((f"sh{i}", s) for i, s in enumerate(shared, n_args))
    donors = set(in_place.values())  # their arrays' buffers, writable, serve as input and output
    in_args = []
    for i, v in enumerate(fgraph.inputs):
        ns[f"d{i}"] = np.dtype(v.type.dtype)
        # a shared value is of its type already; checked all the same, as C trusts what it reads
        test = f"type(a{i}) is not ndarray or a{i}.dtype is not d{i} or a{i}.ndim != {v.type.ndim}"
        test += "".join(f" or a{i}.shape[{d}] != 1" for d, b in enumerate(v.type.broadcastable)
                        if b)
        if i in by_value:  # an int64 or float64 scalar: its value itself goes to C
            if i < n_args:  # f(3, ...): an index, a rate, passed as it is
                ns[f"k{i}"] = _SCALAR_KINDS[v.type.dtype]
                test = f"type(a{i}) not in k{i} and ({test})"
            in_args.append(f"a{i}")
        else:
            buffer = f"w{i}" if i in donors else f"fb(a{i})"
            in_args.append(buffer + (f", *a{i}.shape, *a{i}.strides" if v.type.ndim else ""))
        lines += [f"    if {test}:", "        return None"]
    outs = [f"o{j}" for j in range(len(fgraph.outputs))]
    if outs:
        lines.append(f"    {', '.join(f's{j}' for j in range(len(outs)))}, = memo[0]")
    out_args = []
    for j, v in enumerate(fgraph.outputs):
        if j in in_place:  # its shape is the array's (C checks the update's is the same)
            lines.append(f"    o{j} = a{in_place[j]}")
            out_args.append(f"w{in_place[j]}" + (f", *o{j}.shape" if v.type.ndim else ""))
            continue
        ns[f"e{j}"] = np.dtype(v.type.dtype)
        lines.append(f"    o{j} = empty(s{j}, e{j})")
        out_args.append(f"fb(o{j})" + (f", *s{j}" if v.type.ndim else ""))
    call = ["1", *out_args, *in_args, *(["*hidden"] if hidden else [])]
    lines += ["    try:"]
    lines += [f"        w{i} = fb('char[]', a{i}, True)" for i in sorted(donors)]
    lines += [f"        status = gl_call({', '.join(call)})",
              "    except (ValueError, TypeError, BufferError, OverflowError):",
              "        return None  # not contiguous or writable, or a Python int beyond int64",
              "    if status:",
              "        return None"]
    ns.update((f"t{k}", t) for k, t in enumerate(targets))
    lines += [f"    t{k}._assign(o{n_outputs + k})" for k in range(len(targets))]
    lines.append("    return o0" if single else f"    return [{', '.join(outs[:n_outputs])}]")
    source = "\n".join(lines) + "\n"
    exec(compile(source, "<graphlab direct call>", "exec"), ns)  # noqa: S102 (our own source)
    direct = ns["direct"]
    direct.source = source
    return direct
