"""The gradient of a Scan: backpropagation through time, as another Scan running backwards.

Step t of the forward loop read some rows of its sequences, some past values of its outputs and
the non-sequences, and produced one value per output. Walking the steps from the last to the
first, the backward loop knows, at step t, the whole gradient of step t's outputs: the cost's
own gradient for them plus what later steps sent back through their taps. It takes the
vector-Jacobian product of the loop body at step t (the body's graph, differentiated by `grad`)
and sends each part where it belongs:

- to a sequence's row: one gradient row per step, an output of the backward loop;
- to a past value of an output: a *window* carried from step to step, holding the gradients
  still owed to the next `depth` values (one value when the output reads only tap -1);
- to a non-sequence: a running sum, carried from step to step.

After the first step, the windows hold the gradients of the initial values.
"""

from __future__ import annotations

from graphlab_kernel.gof.graph import clone_replace
from graphlab_kernel.tensor.type import DISCRETE_DTYPES, TensorType


def _differentiable(var) -> bool:
    return var.type.dtype not in DISCRETE_DTYPES


def scan_grad(op, inputs, outputs, output_grads) -> list:
    """One gradient (or None) per input of a Scan node, built as a backward Scan."""
    from graphlab_kernel import tensor as T
    from graphlab_kernel.scan_module.builder import scan_keeping_last

    n, seqs, inits, nonseqs = op.split_inputs(inputs)
    float_outs = [j for j, out in enumerate(outputs) if _differentiable(out)]
    if not float_outs:
        return [None] * len(inputs)
    grads_out = [g if g is not None else T.zeros_like(o) for g, o in zip(output_grads, outputs)]
    values = _all_steps(op, inputs, outputs)
    if op.until:  # a while loop: the steps it took, not the most it could take
        n = T.shape_i(values[0], 0)
    seq_rows, tap_values, inner_nonseqs = op.split_inner_inputs()
    steps = n if op.truncate_gradient < 0 else T.minimum(n, op.truncate_gradient)

    read_seqs, read_states, fulls = _what_each_step_read(op, seqs, inits, values, n)
    per_step = [j for j in float_outs if not op.last_only[j]]
    # outputs whose stored values stand in for the body's recomputed ones in the backward step
    # (tanh's gradient reads tanh's output: it need not be computed again)
    reused = [j for j, out in enumerate(op.inner.outputs[:len(op.out_taps)])
              if out.owner is not None
              and out.type == TensorType(values[j].dtype, values[j].broadcastable[1:])]
    windows = [j for j in op.recurrent if j in float_outs]
    float_nonseqs = [i for i, v in enumerate(nonseqs) if _differentiable(v)]
    float_seq_reads = [i for i, v in enumerate(read_seqs) if _differentiable(v)]

    def step(*args):
        """One backward step: the body's vector-Jacobian product at forward step t."""
        args = list(args)
        seq_vals = _take(args, len(read_seqs))
        state_vals = _take(args, len(read_states))
        g_step = dict(zip(per_step, _take(args, len(per_step))))
        stored = dict(zip(reused, _take(args, len(reused))))
        owed = dict(zip(windows, _take(args, len(windows))))
        sums = _take(args, len(float_nonseqs))
        _name_step_values(op, seq_vals + state_vals, g_step, stored, owed)
        for i, v in zip(float_nonseqs, sums):
            v.name = f"sum_grad_{inner_nonseqs[i].name}"
        # The non-sequences (outer variables, what remains of args) are differentiated as
        # stand-ins: a gradient must not flow on into the graph that computed them.
        stand_ins = [v.type(v.name) for v in args]
        flat_rows = [v for rows in seq_rows for v in rows]
        flat_taps = [v for taps in tap_values for v in taps]
        replace = dict(zip(flat_rows + flat_taps + inner_nonseqs,
                           seq_vals + state_vals + stand_ins))
        outs, _ = clone_replace(list(op.inner.outputs), replace)
        cost = None
        for j in float_outs:
            g = g_step.get(j)
            if j in owed:  # what later steps sent back to this step's value
                depth = -min(op.out_taps[j])
                sent = owed[j] if depth == 1 else owed[j][depth - 1]
                g = sent if g is None else g + sent
            term = T.sum(outs[j] * g)
            cost = term if cost is None else cost + term
        state_wrt = [i for i, v in enumerate(state_vals) if _differentiable(v)]
        wrt = ([seq_vals[i] for i in float_seq_reads] + [state_vals[i] for i in state_wrt]
               + [stand_ins[i] for i in float_nonseqs])
        grads = T.grad(cost, wrt, disconnected_inputs="ignore") if wrt else []
        g_seqs = _take(grads, len(float_seq_reads))
        g_states = dict(zip(state_wrt, _take(grads, len(state_wrt))))
        new_windows = [_shifted_window(op, j, owed[j], g_states) for j in windows]
        new_sums = [s + g for s, g in zip(sums, grads)]
        replace = dict(zip(stand_ins, args))
        replace.update((outs[j], value) for j, value in stored.items())
        results, _ = clone_replace(new_windows + new_sums + g_seqs, replace)
        return results

    reversed_g = [grads_out[j][::-1] for j in per_step]
    first_windows = [_last_window(op, j, fulls[j], grads_out[j]) for j in windows]
    zeros_sums = [T.zeros_like(nonseqs[i]) for i in float_nonseqs]
    outputs_back = scan_keeping_last(
        step,
        sequences=[v[::-1] for v in read_seqs + read_states] + reversed_g
        + [values[j][::-1] for j in reused],
        outputs_info=first_windows + zeros_sums + [None] * len(float_seq_reads),
        last_only=[True] * (len(windows) + len(float_nonseqs)) + [False] * len(float_seq_reads),
        non_sequences=nonseqs, n_steps=steps, name=f"grad_of_{op.name or 'scan_fn'}")
    back = list(outputs_back)
    owed_first = dict(zip(windows, _take(back, len(windows))))
    sums = dict(zip(float_nonseqs, _take(back, len(float_nonseqs))))
    seq_grads = dict(zip(float_seq_reads, back))

    truncated = None if op.truncate_gradient < 0 else T.ge(steps, n)  # reached step 0
    g_seqs = _sequence_grads(op, seqs, seq_grads, n, None if truncated is None else n - steps)
    g_inits = _initial_value_grads(op, inits, owed_first, truncated)
    g_nonseqs = [sums.get(i) for i in range(len(nonseqs))]
    return [None] + g_seqs + g_inits + g_nonseqs


def _what_each_step_read(op, seqs, inits, values, n) -> tuple[list, list, dict]:
    """What each forward step read, as sequences of n rows (row t: what step t read): the
    sequences' taps, then the fed-back outputs' taps, read from each output's initial values
    followed by the values of every step (`fulls`, by output)."""
    from graphlab_kernel import tensor as T
    read_seqs = []
    for x, taps in zip(seqs, op.seq_taps):
        low = min(min(taps), 0)
        read_seqs += [x[k - low:k - low + n] for k in taps]
    read_states, fulls = [], {}
    for j, init in zip(op.recurrent, inits):
        depth = -min(op.out_taps[j])
        fulls[j] = T.concatenate([init[:depth], values[j]])
        read_states += [fulls[j][depth + k:depth + k + n] for k in op.out_taps[j]]
    return read_seqs, read_states, fulls


def _initial_value_grads(op, inits, owed_first: dict, truncated) -> list:
    """Each initial buffer's gradient: what the backward loop still owed after its last step
    (zero if it stopped before reaching step 0), in the rows the taps read."""
    from graphlab_kernel import tensor as T
    grads = []
    for j, init in zip(op.recurrent, inits):
        if j not in owed_first:
            grads.append(None)
            continue
        window = owed_first[j]
        if truncated is not None:
            window = T.switch(truncated, window, T.zeros_like(window))
        depth = -min(op.out_taps[j])
        rows = window.dimshuffle("x", *range(window.ndim)) if depth == 1 else window
        grads.append(T.inc_subtensor(T.zeros_like(init)[:depth], rows))
    return grads


def _name_step_values(op, reads: list, g_step: dict, stored: dict, owed: dict) -> None:
    """Name the backward step's placeholders after what they hold, for printouts."""
    forward = [v for rows in op.split_inner_inputs()[0] for v in rows] + [
        v for taps in op.split_inner_inputs()[1] for v in taps]
    for placeholder, read in zip(reads, forward):
        placeholder.name = read.name
    for j, g in g_step.items():
        g.name = f"grad_out{j}[t]"
    for j, v in stored.items():
        v.name = f"out{j}[t]"
    for j, v in owed.items():
        v.name = f"owed_to_out{j}"


def _take(items: list, count: int) -> list:
    """Remove and return the first `count` items of `items`."""
    taken = items[:count]
    del items[:count]
    return taken


def _all_steps(op, inputs, outputs) -> list:
    """The outputs with every step's value: the node's own, or, for outputs that keep only
    their last value, those of the same loop run again keeping every value."""
    if not any(op.last_only):
        return list(outputs)
    from graphlab_kernel.scan_module.op import Scan
    again = Scan(op.inner, op.seq_taps, op.out_taps, None, op.steps_from_sequences,
                 op.truncate_gradient, op.go_backwards, op.mode, op.name,
                 {"sequences": op.seq_labels, "outputs": op.out_labels}, op.until)
    return again.make_node(*inputs).outputs


def _last_window(op, j: int, full, g):
    """The gradients owed to output j's last `depth` values before the backward loop starts:
    zero, except the cost's own gradient of the last value when the output is only that."""
    from graphlab_kernel import tensor as T
    depth = -min(op.out_taps[j])
    if depth == 1:
        return g if op.last_only[j] else T.zeros_like(full[0])
    window = T.zeros_like(full[:depth])
    return T.set_subtensor(window[depth - 1], g) if op.last_only[j] else window


def _shifted_window(op, j: int, owed, g_states):
    """The window one step earlier: its values move up by one (the value of this step is
    settled), and each tap's gradient is added to the value it read."""
    from graphlab_kernel import tensor as T
    taps = op.out_taps[j]
    depth = -min(taps)
    first = sum(len(op.out_taps[i]) for i in op.recurrent if i < j)
    tap_grads = {k: g_states.get(first + i) for i, k in enumerate(taps)}
    if depth == 1:
        return tap_grads[-1] if tap_grads[-1] is not None else T.zeros_like(owed)
    rows = [T.zeros_like(owed[0])] + [owed[m] for m in range(depth - 1)]
    for k, g in tap_grads.items():
        if g is not None:
            rows[depth + k] = rows[depth + k] + g
    return T.stack(rows)


def _sequence_grads(op, seqs, seq_grads: dict, n, skipped) -> list:
    """Each sequence's gradient: its taps' per-step gradients, added at the rows they read
    (the backward loop ran over the forward steps after the first `skipped`, last first)."""
    from graphlab_kernel import tensor as T
    result, position = [], 0
    for x, taps in zip(seqs, op.seq_taps):
        low = min(min(taps), 0)
        g = None
        for k in taps:
            rows = seq_grads.get(position)
            position += 1
            if rows is None:
                continue
            if g is None:
                g = T.zeros_like(x)
            start = k - low if skipped is None else k - low + skipped
            g = T.inc_subtensor(g[start:k - low + n], rows[::-1])
        result.append(g)
    return result
