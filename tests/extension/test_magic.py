"""The %%symbolic magic in an IPython InteractiveShell."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

WIDGET = "application/vnd.jupyter.widget-view+json"

CELL = """
import graphlab_kernel as G
import graphlab_kernel.tensor as T
x = T.dscalar('x')
y = x ** 2
gy = T.grad(y, x)
f = G.function([x], gy)
W = G.shared([1.0, 2.0], name='W')
f(4)
"""


def run(ip, cell: str):
    with capture_output() as captured:
        result = ip.run_cell(cell)
    return result, captured


def widget_classes(captured) -> list[str]:
    from ipywidgets.widgets.widget import _instances
    names = []
    for out in captured.outputs:
        if WIDGET in out.data:
            names.append(type(_instances[out.data[WIDGET]["model_id"]]).__name__)
    return names


def test_cell_runs_in_the_user_namespace_and_shows_what_it_bound(ip):
    result, captured = run(ip, "%%symbolic\n" + CELL)
    assert result.success and float(result.result) == 8.0  # the last expression is the value
    assert ip.user_ns["W"].get_value().tolist() == [1.0, 2.0]
    assert widget_classes(captured) == ["FunctionWidget", "Explorer", "SharedWidget"]
    pictures = [o.data["text/html"] for o in captured.outputs if "text/html" in o.data]
    names = [p.split('data-name="')[1].split('"')[0] for p in pictures if "gl-side-by-side" in p]
    assert names == ["y", "gy"]  # expressions computed from others; not x, a free input
    assert all("before optimization" in p and "after optimization" in p and "<svg" in p
               for p in pictures)


def test_an_exception_surfaces_as_itself(ip):
    result, _captured = run(ip, "%%symbolic\nq = 1\n1 / 0")
    assert isinstance(result.error_in_exec, ZeroDivisionError)
    assert ip.user_ns["q"] == 1
    after, _ = run(ip, "%%symbolic\nq + 1")
    assert after.success and after.result == 2


def test_a_bad_flag_is_a_usage_error(ip):
    result, _captured = run(ip, "%%symbolic --no-such-flag\nz = 1")
    assert isinstance(result.error_in_exec, UsageError)
    result, _ = run(ip, "%%symbolic --show sideways\nz = 1")
    assert isinstance(result.error_in_exec, UsageError)
    assert "z" not in ip.user_ns or ip.user_ns["z"] != 1


@pytest.mark.parametrize("flags, message", [
    ("--save {tmp}/pic.txt", "must end in one of .svg"),
    ("--save {tmp}/no/such/folder/pic.svg", "does not exist"),
    ("--max-nodes 0", "at least 1"),
])
def test_a_flag_that_could_only_fail_later_is_refused_before_the_cell_runs(ip, tmp_path, flags,
                                                                           message):
    ip.user_ns.pop("z", None)
    result, _ = run(ip, f"%%symbolic {flags.format(tmp=tmp_path)}\nz = 1")
    assert isinstance(result.error_in_exec, UsageError)
    assert message in str(result.error_in_exec)
    assert "z" not in ip.user_ns


def test_a_picture_that_cannot_be_written_is_one_line_and_the_rest_is_shown(ip, tmp_path):
    (tmp_path / "pic-gy.svg").mkdir()  # a folder where gy's picture should go: an OSError
    result, captured = run(ip, f"%%symbolic --save {tmp_path / 'pic.svg'}\n" + CELL)
    assert result.success
    assert f"could not save {tmp_path / 'pic-gy.svg'}: Is a directory" in captured.stdout
    assert (tmp_path / "pic-y.svg").is_file() and (tmp_path / "pic-f.svg").is_file()
    assert widget_classes(captured) == ["FunctionWidget", "Explorer", "SharedWidget"]


def test_errors_name_the_cell_they_come_from(ip):
    ip.run_cell("1", store_history=True)
    number = ip.execution_count  # the next cell's In[number]
    with capture_output():
        result = ip.run_cell("%%symbolic\nz = 1 +\n", store_history=True)
    assert isinstance(result.error_in_exec, SyntaxError)
    assert result.error_in_exec.filename == ip.compile.cache("z = 1 +\n", number)


def test_static_pictures_and_code_have_a_text_version(ip):
    _, captured = run(ip, "%%symbolic --no-widgets\n" + CELL)
    texts = [o.data["text/plain"] for o in captured.outputs if "gl-side-by-side" in
             o.data.get("text/html", "")]
    assert texts and all("before optimization" in t and "[input]" in t for t in texts)
    _result, captured = run(ip, "%%symbolic --show code --no-widgets\n" + CELL)
    codes = [o.data["text/plain"] for o in captured.outputs if "gl-code" in
             o.data.get("text/html", "")]
    assert codes and all("gl_run" in c for c in codes)


def test_an_expression_is_not_compiled_to_c_just_for_its_picture(ip, monkeypatch):
    from graphlab_kernel.backend.c import CBackend

    def refuse(self, fgraph):
        raise AssertionError("compiled to C")
    monkeypatch.setattr(CBackend, "compile", refuse)
    cell = "import graphlab_kernel.tensor as T\nq = T.dvector('q')\nr = T.exp(q * 1) + 0\n"
    result, captured = run(ip, "%%symbolic --no-widgets\n" + cell)
    assert result.success and "could not compile" not in captured.stdout
    after = [o.data["text/plain"] for o in captured.outputs if "gl-side-by-side" in
             o.data.get("text/html", "")]
    assert len(after) == 1 and "r: after optimization\nexp" in after[0]  # * 1 and + 0 are gone


def test_flags_are_documented(ip):
    doc = ip.find_cell_magic("symbolic").__doc__
    for flag in ("--show", "--style", "--no-widgets", "--save", "--max-nodes"):
        assert flag in doc


def test_no_widgets_before_structure_and_save(ip, tmp_path):
    target = tmp_path / "pic.svg"
    result, captured = run(ip, f"%%symbolic --no-widgets --show before --style structure "
                               f"--save {target}\n" + CELL)
    assert result.success and widget_classes(captured) == []
    html = "".join(o.data.get("text/html", "") for o in captured.outputs)
    assert "before optimization" in html and "after optimization" not in html
    assert "gl-style-structure" in html
    saved = sorted(p.name for p in tmp_path.iterdir())
    assert saved == ["pic-f.svg", "pic-gy.svg", "pic-y.svg"]
    assert "W = array([1., 2.])" in captured.stdout


def test_steps_and_code(ip):
    _, captured = run(ip, "%%symbolic --show steps\n" + CELL)
    from ipywidgets.widgets.widget import _instances
    explorers = [_instances[o.data[WIDGET]["model_id"]] for o in captured.outputs
                 if WIDGET in o.data]
    explorers = [w for w in explorers if type(w).__name__ == "Explorer"]
    assert explorers and all(e.mode == "steps" for e in explorers)
    _result, captured = run(ip, "%%symbolic --show code --no-widgets\n" + CELL)
    assert 'class="gl-code"' in "".join(o.data.get("text/html", "") for o in captured.outputs)


def test_without_dot_text_views_and_one_message(ip, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    result, captured = run(ip, "%%symbolic --no-widgets\n" + CELL)
    html = "".join(o.data.get("text/html", "") for o in captured.outputs)
    assert result.success and html.count("apt-get install graphviz") == 1
    assert "<svg" not in html and 'class="gl-text"' in html
    result, captured = run(ip, "%%symbolic\n" + CELL)  # widgets still work, message not repeated
    assert result.success and "Explorer" in widget_classes(captured)
    html = "".join(o.data.get("text/html", "") for o in captured.outputs)
    assert "apt-get install graphviz" not in html


def test_unload_removes_the_magic(ip):
    assert ip.find_cell_magic("symbolic") is not None
    ip.run_line_magic("unload_ext", "graphlab_extension")
    assert ip.find_cell_magic("symbolic") is None
    ip.run_line_magic("load_ext", "graphlab_extension")
    assert ip.find_cell_magic("symbolic") is not None


@pytest.mark.parametrize("style", ["compact", "structure"])
def test_styles_draw(ip, style):
    result, captured = run(ip, f"%%symbolic --no-widgets --show after --style {style}\n"
                               "import graphlab_kernel.tensor as T\na = T.dmatrix('a')\nb = a + a")
    html = "".join(o.data.get("text/html", "") for o in captured.outputs)
    assert result.success and f"gl-style-{style}" in html
