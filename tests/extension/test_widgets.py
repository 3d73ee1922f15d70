"""Widget models: the explorer, the function widget and the shared value widget, after updates."""

from __future__ import annotations

import time

import numpy as np
import pytest
import traitlets

import graphlab_kernel as G
import graphlab_kernel.tensor as T
from graphlab_kernel.tooling import apply_id, inner_function

from graphlab_extension import Explorer, FunctionWidget, SharedWidget
from graphlab_extension.live import flush_all


def test_explorer_steps_through_history(rewritten):
    ex = Explorer(rewritten, mode="steps")
    assert ex.n_steps == 1 and ex.step == 1
    assert ex.rule == "mul_by_one" and ex.doc == "x * 1 -> x"
    assert ex.removed and all(i in ex.svg for i in ex.removed)
    assert "gl-removed" in ex.svg
    assert any(line.startswith("-") and "mul" in line for line in ex.diff.splitlines())
    ex.previous()
    assert ex.step == 0 and ex.removed == [] and ex.diff == ""
    assert "before any rewrite" in ex.rule
    ex.step = 5  # out of range is clamped
    assert ex.step == 1


def test_explorer_modes_and_code(rewritten):
    ex = Explorer(rewritten, mode="before")
    before_svg = ex.svg
    ex.mode = "after"
    assert ex.svg != before_svg and "<svg" in ex.svg
    ex.mode = "code"
    assert ex.c_source  # the C source, or a note naming the backend
    if rewritten.c_source is None:
        assert rewritten.backend in ex.c_source


def test_explorer_code_says_why_a_function_has_no_c_source():
    x = T.dvector("x")
    fallen_back = G.function([x], T.cast(x, "float16") * 2, backend="c")  # no float16 in C
    code = Explorer(fallen_back, name="half", mode="code").c_source
    assert "half runs on the 'numpy' backend" in code
    assert "dtype float16 has no C form" in code
    chosen = Explorer(G.function([x], x + 1, backend="numpy"), name="inc").c_source
    assert chosen == "/* No generated C source: inc runs on the 'numpy' backend. */"


def test_explorer_details_and_search(rewritten):
    ex = Explorer(rewritten, mode="before")
    product = rewritten.history[0].replaced[0]  # the x * 1 that the rewrite removed
    ex.selected = apply_id(product.owner)
    assert ex.details["op_class"] == "Elemwise" and ex.details["label"] == "mul"
    assert ex.details["created_by"] == "the original graph"
    assert ex.matches == []
    ex.query = "x"
    assert len(ex.matches) == 1 and ex.matches[0].startswith("v")
    ex.selected = ex.matches[0]
    assert ex.details["role"] == "input" and ex.details["dtype"] == "float64"
    assert ex.details["broadcastable"] == [False]


def test_explorer_shows_the_rewrite_that_created_a_node():
    x = T.dvector("x")
    f = G.function([x], T.exp(x) + 0, mode="NO_OPT")
    fgraph = f.maker.fgraph
    old = fgraph.outputs[0]
    new = T.exp(fgraph.inputs[0]) * 1.0
    fgraph.replace_all([(old, new)], rule="my_rule", doc="e + 0 -> e * 1")
    ex = Explorer(f, mode="steps")
    assert apply_id(new.owner) in ex.added
    ex.selected = apply_id(new.owner)
    assert ex.details["created_by"] == "#1 my_rule" and ex.details["created_by_doc"]


def test_function_widget_recomputes_outputs():
    x, y = T.dscalar("x"), T.dvector("v")
    f = G.function([x, y], x * y)
    w = FunctionWidget(f, name="f")
    assert [i["kind"] for i in w.inputs] == ["scalar", "array"]
    assert w.inputs[1]["shape"] == [3] and w.runs == 1
    w.set_input("v", "[1, 2, 3]")
    w.set_input("x", 2.0)
    assert w.outputs[0]["text"] == "[2. 4. 6.]" and w.runs == 3
    w.fill("v", "ones", "4")
    assert w.inputs[1]["shape"] == [4] and w.outputs[0]["text"] == "[2. 2. 2. 2.]"
    w.set_input("v", "[[1]]")
    assert "v" in w.error and w.outputs[0]["text"] == "[2. 2. 2. 2.]"
    w._on_message(w, {"kind": "set", "name": "x", "value": "3"}, [])  # what the slider sends
    assert w.error == "" and w.outputs[0]["text"] == "[3. 3. 3. 3.]"


def test_function_widget_starts_from_the_inputs_defaults():
    x, y, v = T.dscalar("x"), T.dscalar("y"), T.dvector("v")
    f = G.function([x, G.In(y, value=2.5), G.In(v, value=[1.0, 2.0])], (x + y) * v)
    w = FunctionWidget(f, name="f")
    assert w.inputs[1]["value"] == 2.5
    assert w.inputs[2]["shape"] == [2] and w.inputs[2]["text"] == "[1., 2.]"
    assert w.outputs[0]["text"] == "[3.5 7. ]"  # x's sample value is 1


def test_function_widget_with_updates_runs_only_on_request():
    state = G.shared(0, name="state")
    inc = T.iscalar("inc")
    acc = G.function([inc], state, updates=[(state, state + inc)])
    w = FunctionWidget(acc, name="acc")
    assert not w.auto and w.runs == 0 and state.get_value() == 0
    w.set_input("inc", 5)
    assert state.get_value() == 0
    w.run()
    assert state.get_value() == 5 and w.outputs[0]["text"] == "0"


def test_shared_widget_follows_a_training_loop():
    rng = np.random.default_rng(1)
    data = rng.standard_normal((20, 5))
    target = (data @ np.arange(5.0) > 0).astype(float)
    x, y = T.dmatrix("x"), T.dvector("y")
    w = G.shared(np.zeros(5), name="w")
    p = 1 / (1 + T.exp(-T.dot(x, w)))
    cost = (-y * T.log(p) - (1 - y) * T.log(1 - p)).mean()
    train = G.function([x, y], cost, updates=[(w, w - 0.5 * T.grad(cost, w))])
    widget = SharedWidget(w, name="w", interval=10.0)
    assert widget.kind == "vector" and widget.data == [0.0] * 5 and widget.version == 0
    for _ in range(200):
        train(data, target)
    assert widget.version == 0  # throttled: nothing sent within the interval
    flush_all()  # what the extension does after every cell
    assert widget.version == 200
    assert np.allclose(widget.data, w.get_value())
    assert widget.vmax == max(w.get_value())
    widget.close()


def test_shared_widget_sends_at_most_one_update_per_interval():
    s = G.shared(0.0, name="s")
    widget = SharedWidget(s, interval=0.05)
    pushes = []
    widget.observe(lambda change: pushes.append(change["new"]), "version")
    start = time.monotonic()
    while time.monotonic() - start < 0.3:
        s.set_value(s.get_value() + 1)
    time.sleep(0.15)  # the trailing update arrives by timer
    assert 3 <= len(pushes) <= 12
    assert widget.value == s.get_value() and widget.version == pushes[-1]
    widget.close()


def test_shared_scalar_can_be_edited_and_matrices_are_heat_maps():
    s = G.shared(1.5, name="s")
    widget = SharedWidget(s)
    widget._on_message(widget, {"kind": "set", "value": "2.5"}, [])
    assert s.get_value() == 2.5
    widget.flush()
    assert widget.value == 2.5
    m = G.shared(np.arange(200.0 * 100).reshape(200, 100), name="m")
    heat = SharedWidget(m)
    assert heat.kind == "matrix" and heat.rows <= 48 and heat.cols <= 48
    assert len(heat.data) == heat.rows * heat.cols and heat.vmin >= 0
    widget.close()
    heat.close()
    s.set_value(3.0)  # a closed widget no longer observes
    assert widget.value == 2.5


def test_widgets_have_a_readable_text_version():
    # what a terminal or a text export shows instead of the widget
    x = T.dscalar("x")
    f = G.function([x], T.grad(x ** 2, x))
    w = G.shared(np.arange(5.0), name="W")
    assert repr(FunctionWidget(f, name="f")) == "<FunctionWidget f(x), runs: 1>"  # it ran once
    assert repr(Explorer(f, name="f")) == "<Explorer f: 6 rewrites, backend c, showing after>"
    assert repr(SharedWidget(w)) == "<SharedWidget W = min 0, mean 2, max 4>"
    assert repr(SharedWidget(G.shared(2.5, name="b"))) == "<SharedWidget b = 2.5>"


def _running_sum():
    """A function around a loop whose body has one rewrite (`x * 1 -> x`)."""
    x = T.dvector("x")
    total, _ = G.scan(lambda v, acc: acc + v * 1, sequences=x, outputs_info=np.float64(0),
                      name="running")
    return G.function([x], total, name="running_sum")


def _node(f, identifier):
    return next(n for n in f.maker.fgraph.toposort() if apply_id(n) == identifier)


def test_explorer_opens_a_loop_body_and_goes_back():
    f = _running_sum()
    ex = Explorer(f, name="running_sum", mode="steps")
    assert ex.title == "running_sum: 2 rewrites, backend c" and ex.crumbs == ["running_sum"]
    [loop] = ex.bodies
    assert _node(f, loop).op.__class__.__name__ == "Scan"
    ex.next()
    ex.selected = loop
    assert ex.details["body"] == "running, compiled on its own (backend c)"
    assert ex.details["runs"] == "in Python, called from the generated C (it has no C form)"
    outer = {name: getattr(ex, name) for name in ("title", "n_steps", "svg", "rule", "c_source")}

    ex.path = [loop]  # what the details panel's button does
    body = inner_function(_node(f, loop), within=f)
    assert ex.title == "running_sum › body of Scan{running}: 1 rewrite, backend c"
    assert ex.crumbs == ["running_sum", "body of Scan{running}"]
    assert ex.n_steps == len(body.history) == 1
    assert ex.mode == "steps" and ex.step == 1 and ex.rule == "mul_by_one"
    assert ex.selected == "" and ex.details == {} and ex.bodies == []
    assert "gl_loop" in ex.c_source and ex.c_source == body.c_source
    assert "x[t]" in ex.svg and "x[t]" not in outer["svg"]
    ex.mode = "before"
    assert ">mul<" in ex.svg
    ex.mode = "after"
    assert ">mul<" not in ex.svg and ">add<" in ex.svg

    ex.back()
    assert ex.path == [] and ex.crumbs == ["running_sum"]
    assert {name: getattr(ex, name) for name in outer} == outer
    assert ex.mode == "steps" and ex.step == 2 and ex.selected == loop  # as it was left
    assert ex.details["body"].startswith("running")
    ex.open_body()  # the selected node's body, again: as it was left too
    assert ex.mode == "after" and "gl_loop" in ex.c_source


def test_explorer_opens_a_loop_in_a_loop_body_two_levels_deep():
    M = T.dmatrix("M")

    def row_total(row):
        sums, _ = G.scan(lambda v, acc: acc + v, sequences=row, outputs_info=np.float64(0),
                         name="inner")
        return sums[-1]

    totals, _ = G.scan(row_total, sequences=M, name="outer")
    f = G.function([M], totals, name="totals")
    ex = Explorer(f, name="totals")
    ex.open_body(ex.bodies[0])
    assert ex.crumbs == ["totals", "body of Scan{outer}"]
    assert ex.title.startswith("totals › body of Scan{outer}: ")
    # a body holding a loop is C calling back into Python for it: no gl_loop entry of its own
    assert ex.title.endswith("backend c")
    assert "gl_loop" not in ex.c_source and "gl_py(gl_py_ctx, 0," in ex.c_source
    assert len(ex.bodies) == 1 and ex.bodies != ex.path
    ex.path = [*ex.path, ex.bodies[0]]
    assert ex.crumbs == ["totals", "body of Scan{outer}", "body of Scan{inner}"]
    assert ex.title.endswith("backend c") and "gl_loop" in ex.c_source
    assert "M[t][t]" in ex.svg
    ex.path = []  # the first crumb: straight back to the outermost function
    assert ex.title.startswith("totals: ") and ex.crumbs == ["totals"] and "M[t]" not in ex.svg


def test_explorer_offers_no_body_for_other_nodes():
    f = _running_sum()
    ex = Explorer(f)
    others = [apply_id(n) for n in f.maker.fgraph.toposort() if apply_id(n) not in ex.bodies]
    assert others and len(ex.bodies) == 1
    ex.selected = others[0]
    assert ex.details["kind"] == "apply" and "body" not in ex.details and "runs" not in ex.details
    with pytest.raises(traitlets.TraitError, match="not a node of running_sum holding a"):
        ex.open_body()
    with pytest.raises(traitlets.TraitError, match="path\\[0\\] is 'v1'"):
        ex.path = ["v1"]
    assert ex.path == [] and ex.crumbs == ["running_sum"]
    y = T.dscalar("y")
    plain = Explorer(G.function([y], y * 2))
    assert plain.bodies == []


def test_explorer_shows_a_loop_body_as_text_without_dot(monkeypatch, tmp_path):
    f = _running_sum()  # compiled (with its body) before `dot` and the C compiler go away
    ex = Explorer(f)
    monkeypatch.setenv("PATH", str(tmp_path))
    ex.style = "structure"  # a picture not drawn yet
    ex.path = ex.bodies
    assert ex.svg == "" and "apt-get install graphviz" in ex.message
    assert "x[t] [input]" in ex.text and "out0[t-1] [input]" in ex.text
    assert "gl_loop" in ex.c_source


def _profiled_mlp_step():
    """exp over a large vector beside a small product: the exp must be the hottest node."""
    x, a = T.dvector("x"), T.dmatrix("a")
    return G.function([x, a], [T.exp(x).sum(), T.dot(a, a)], name="step", profile=True)


def test_explorer_time_mode_colours_nodes_by_their_share_of_the_calls():
    f = _profiled_mlp_step()
    ex = Explorer(f, name="step")
    assert ex.show_time_tab and ex.times == {} and ex.profile_text == ""
    ex.mode = "time"  # not called yet: no times, the summary says so
    assert ex.times == {} and "call it to collect times" in ex.profile_text
    assert "gl-timed" not in ex.svg
    xv, av = np.linspace(0, 1, 1_000_000), np.ones((3, 3))
    for _ in range(3):
        f(xv, av)
    ex.refresh()
    seconds = f.profile.node_seconds()
    assert set(ex.times) == {apply_id(n) for n in seconds}
    hottest = max(seconds, key=seconds.get)
    assert max(ex.times, key=lambda k: ex.times[k][0]) == apply_id(hottest)
    share, text = ex.times[apply_id(hottest)]
    assert share == pytest.approx(seconds[hottest] / f.profile.seconds)
    assert text.endswith("/call")
    assert ex.profile_text == f.profile.summary() and "3 call(s)" in ex.profile_text
    assert ex.svg.count("gl-timed") == len(seconds)
    assert "#e74c3c" in ex.svg  # the hottest node is filled with the hottest colour
    ex.selected = apply_id(hottest)
    assert ex.details["time"] == f"{text}, {100 * share:.1f}% of the calls' time"
    ex.mode = "after"  # the plain picture has no times, and details none
    assert "gl-timed" not in ex.svg and "time" not in ex.details


def test_explorer_offers_time_only_for_profiled_functions():
    x = T.dvector("x")
    ex = Explorer(G.function([x], T.exp(x)))
    assert not ex.show_time_tab
    with pytest.raises(traitlets.TraitError, match="profile=True"):
        ex.mode = "time"
    assert ex.mode == "after"
