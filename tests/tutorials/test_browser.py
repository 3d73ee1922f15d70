"""What a person sees in JupyterLab when running the tutorials, checked in a real browser.

The widget checks use the DOM hooks of the extension's front end (extension/README.md): `gl-*`
classes and `data-*` attributes on the explorer, function and shared-value widgets.
"""

from __future__ import annotations

import os
import re
import shutil

import pytest
from playwright.sync_api import expect

from tests.tutorials.conftest import ARTIFACTS, ROOT
from tests.tutorials.lab import (cell_with_source, error_outputs, open_notebook, run_all_cells,
                                 start_running_all_cells, svg_pictures, visible_svg_images,
                                 wait_until_idle)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

DERIVATIVES = "05_derivatives.ipynb"


def test_graph_structures_tutorial_shows_its_pictures(page, jupyter_lab):
    open_notebook(page, jupyter_lab, "04_graph_structures.ipynb")
    run_all_cells(page)
    assert error_outputs(page) == []
    drawn = cell_with_source(page, "draw(z)")
    picture = drawn.locator(".jp-RenderedSVG img, .jp-RenderedSVG svg").first
    picture.scroll_into_view_if_needed()
    assert picture.is_visible()
    box = picture.bounding_box()
    assert box["width"] > 100 and box["height"] > 100, box
    [source] = svg_pictures(drawn)
    for word in ["Apply", "owner", "inputs[0]", "outputs[0]", ">z<", ">x<", ">y<"]:
        assert word in source, word
    # and every picture of the notebook is drawn with a real size (three structure pictures)
    assert len(visible_svg_images(page)) >= 3


def test_derivatives_tutorial_runs_and_draws_the_gradient_before_and_after(executed_notebook):
    page = executed_notebook(DERIVATIVES)
    assert error_outputs(page) == []
    cell = cell_with_source(page, "%%symbolic --show both")
    panels = cell.locator("figure.gl-panel")
    assert panels.count() == 2
    captions = panels.locator("figcaption").all_inner_texts()
    assert "before" in captions[0] and "after" in captions[1], captions
    sizes = []
    for k in range(2):
        svg = panels.nth(k).locator("svg").first
        svg.scroll_into_view_if_needed()
        assert svg.is_visible()
        box = svg.bounding_box()
        sizes.append(box["height"])
        assert box["width"] > 50 and box["height"] > 50, box
    # the optimized gradient (2.0 * x) is a much smaller picture than the raw one
    before_nodes = panels.nth(0).locator("g.gl-node").count()
    after_nodes = panels.nth(1).locator("g.gl-node").count()
    assert after_nodes < before_nodes, (before_nodes, after_nodes)


def _explorer(page):
    explorer = cell_with_source(page, "df = gl.function").locator(".gl-explorer")
    explorer.scroll_into_view_if_needed()
    return explorer


def test_clicking_a_node_in_the_explorer_shows_its_details(executed_notebook):
    page = executed_notebook(DERIVATIVES)
    explorer = _explorer(page)
    explorer.locator(".gl-tab[data-mode='after']").click()
    details = explorer.locator(".gl-details")
    assert "Click a node" in details.inner_text()
    apply_node = explorer.locator(".gl-picture svg g.gl-apply").first
    node_id = apply_node.get_attribute("data-node-id")
    apply_node.click()
    page.wait_for_function("(d) => d.querySelector('.gl-details-table') !== null",
                           arg=details.element_handle())
    text = details.inner_text()
    assert "mul" in text and "float64" in text, text
    assert explorer.locator(f".gl-picture svg g[data-node-id='{node_id}']").get_attribute(
        "class").split().count("gl-selected") == 1
    # a variable's details name its type too
    explorer.locator(".gl-picture svg g.gl-role-input").first.click()
    page.wait_for_function("(d) => d.innerText.includes('x') && !d.innerText.includes('mul')",
                           arg=details.element_handle())


def _picture_state(explorer) -> dict:
    return explorer.locator(".gl-picture").evaluate(
        """(p) => ({
            step: p.dataset.step,
            nodes: [...p.querySelectorAll('svg g.gl-node')].map(g => g.dataset.nodeId).sort(),
            added: [...p.querySelectorAll('svg g.gl-added')].map(g => g.dataset.nodeId).sort(),
            removed: [...p.querySelectorAll('svg g.gl-removed')].map(g => g.dataset.nodeId).sort(),
            labels: p.querySelector('svg') ? p.querySelector('svg').textContent : ''})""")


def drag_slider_to(page, slider, fraction: float) -> None:
    """Press the mouse on a range input's track at `fraction` of its range (0 to 1) and release,
    as a person does to move a slider. (Arrow keys are not used: in JupyterLab's command mode the
    notebook takes ArrowLeft/ArrowRight away from a focused range input.)"""
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    thumb = 16  # Chromium's range thumb; its centre travels over width - thumb
    x = box["x"] + thumb / 2 + (box["width"] - thumb) * fraction
    y = box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.up()


def _go_to_step(page, explorer, step: int, last: int, rule: str) -> dict:
    """Drag the step slider to `step`; wait for the kernel to send that step's picture."""
    before = _picture_state(explorer)["labels"]
    drag_slider_to(page, explorer.locator(".gl-step-slider"), step / last)
    page.wait_for_function(
        """([p, r, step, rule, before]) => p.dataset.step === step && p.querySelector('svg')
               && p.querySelector('svg').textContent !== before && r.textContent.includes(rule)""",
        arg=[explorer.locator(".gl-picture").element_handle(),
             explorer.locator(".gl-rule-name").element_handle(), str(step), rule, before])
    page.wait_for_timeout(200)  # let the highlight classes settle with the new picture
    return _picture_state(explorer)


def _photograph_for_the_readme(page, explorer, added: list[str]) -> None:
    """The README's picture: the explorer at a rewrite step, the new node selected. Saved under
    tests/artifacts/, and into docs/images/ when GRAPHLAB_UPDATE_README_IMAGES=1."""
    explorer.locator(f".gl-picture svg g[data-node-id='{added[0]}']").click()
    explorer.locator(".gl-details-table").wait_for()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    explorer.screenshot(path=str(ARTIFACTS / "explorer.png"))
    if os.environ.get("GRAPHLAB_UPDATE_README_IMAGES") == "1":
        shutil.copy(ARTIFACTS / "explorer.png", ROOT / "docs" / "images" / "explorer.png")


def test_the_rewrite_slider_redraws_the_graph_and_highlights_the_changes(executed_notebook):
    page = executed_notebook(DERIVATIVES)
    explorer = _explorer(page)
    explorer.locator(".gl-tab[data-mode='steps']").click()
    slider = explorer.locator(".gl-step-slider")
    slider.wait_for(state="visible")
    last = int(slider.get_attribute("max"))
    assert last == 6  # the six rewrites of d(x**2)/dx, listed in the tutorial

    start = _go_to_step(page, explorer, 0, last, "step 0")
    assert start["added"] == [] and start["removed"] == []
    assert "pow" in start["labels"] and "fill" in start["labels"]

    first = _go_to_step(page, explorer, 1, last, "pow_two")
    assert first["labels"] != start["labels"]
    assert first["added"] and first["removed"], first  # pow(x, 2) out, sqr(x) in
    assert "sqr" in first["labels"]
    _photograph_for_the_readme(page, explorer, first["added"])
    assert explorer.locator(".gl-diff").inner_text().strip()

    slider.focus()  # a person steps with the keyboard too: the arrows must reach the explorer
    page.keyboard.press("ArrowRight")
    expect(explorer.locator(".gl-step-label")).to_contain_text(f"step 2 of {last}")
    page.keyboard.press("ArrowLeft")
    expect(explorer.locator(".gl-step-label")).to_contain_text(f"step 1 of {last}")

    end = _go_to_step(page, explorer, last, last, "constant_folding")
    assert end["nodes"] != first["nodes"]
    assert end["added"] != first["added"] or end["removed"] != first["removed"]
    assert "fill" not in end["labels"]
    assert f"step {last} of {last}" in explorer.locator(".gl-step-label").inner_text()


def test_moving_a_function_widget_slider_changes_its_output(executed_notebook):
    page = executed_notebook(DERIVATIVES)
    widget = cell_with_source(page, "df = gl.function").locator(".gl-function")
    widget.scroll_into_view_if_needed()
    slider = widget.locator(".gl-input-slider[data-input='x']")
    number = widget.locator(".gl-input-number[data-input='x']")
    output = widget.locator(".gl-output-value").first
    before = output.inner_text()
    low, high = float(slider.get_attribute("min")), float(slider.get_attribute("max"))
    current = float(slider.input_value())
    target = 0.8 if (current - low) / (high - low) < 0.5 else 0.2
    drag_slider_to(page, slider, target)
    expect(output).not_to_have_text(before)
    x = float(number.input_value())
    assert abs(float(slider.input_value()) - x) < 1e-9
    expect(output).to_have_text(re.compile(rf"\s*{2 * x:g}\.?0*\s*"))  # d(x**2)/dx = 2x


def test_the_live_weight_widget_changes_while_the_training_cell_runs(page, jupyter_lab):
    open_notebook(page, jupyter_lab, "06_logistic_regression.ipynb")
    # Sample the weight widget and the training cell's prompt every 20 ms from inside the page.
    page.evaluate(
        """() => {
            window.__samples = [];
            const panel = window.jupyterapp.shell.currentWidget;
            const cells = panel.content.widgets;
            const training = cells.find(c => c.model.type === 'code'
                && c.model.sharedModel.getSource().startsWith('training_steps'));
            window.__sampler = setInterval(() => {
                const w = document.querySelector(".gl-shared[data-name='w']");
                if (!w) return;
                const line = w.querySelector('.gl-shared-plot polyline');
                const prompt = training.node.querySelector('.jp-InputPrompt').textContent;
                window.__samples.push({running: prompt.includes('*'),
                                       value: (line ? line.getAttribute('points') : '')
                                              + w.querySelector('.gl-shared-summary').textContent});
            }, 20);
        }""")
    start_running_all_cells(page)
    wait_until_idle(page)
    samples = page.evaluate("() => { clearInterval(window.__sampler); return window.__samples; }")
    assert error_outputs(page) == []
    during = [s["value"] for s in samples if s["running"]]
    assert during, "the weight widget was not on the page while the training cell ran"
    first_seen = samples[0]["value"]
    changed_during = {v for v in during if v != first_seen}
    assert changed_during, "the weights shown did not change while the training cell ran"
    final = samples[-1]["value"]
    assert final != first_seen


def test_the_explorer_opens_a_loop_body_and_goes_back(executed_notebook):
    page = executed_notebook("09_scan.ipynb")
    assert error_outputs(page) == []
    explorer = cell_with_source(page, "running_sum = gl.function").locator(".gl-explorer")
    explorer.scroll_into_view_if_needed()
    picture, details = explorer.locator(".gl-picture"), explorer.locator(".gl-details")
    outer_nodes = _picture_state(explorer)["nodes"]
    assert "x[t]" not in _picture_state(explorer)["labels"]
    expect(explorer.locator(".gl-crumbs")).to_be_hidden()

    # a node that is not a loop offers nothing to open
    plain = picture.locator("svg g.gl-apply").filter(has_not_text="Scan").first
    plain.click()
    expect(details.locator(".gl-details-table")).to_be_visible()
    expect(details.locator(".gl-open-body")).to_have_count(0)

    loop = picture.locator("svg g.gl-apply").filter(has_text="Scan")
    expect(loop).to_have_count(1)
    expect(loop).to_have_class(re.compile(r"\bgl-has-body\b"))  # drawn with a thicker outline
    loop.click()
    expect(details.locator("tr.gl-detail-row[data-key='body']")).to_contain_text("backend c")
    details.locator(".gl-open-body").click()

    expect(explorer).to_have_attribute("data-depth", "1")
    expect(explorer.locator(".gl-title")).to_contain_text("running_sum › body of Scan{scan_fn}")
    expect(picture.locator("svg")).to_contain_text("x[t]")
    body = _picture_state(explorer)
    assert "out0[t-1]" in body["labels"] and "Scan" not in body["labels"], body["labels"]
    explorer.locator(".gl-tab[data-mode='code']").click()
    expect(explorer.locator("pre.gl-code")).to_contain_text("gl_loop")
    explorer.locator(".gl-tab[data-mode='after']").click()

    explorer.locator(".gl-back").click()
    expect(explorer).to_have_attribute("data-depth", "0")
    expect(explorer.locator(".gl-crumbs")).to_be_hidden()
    expect(picture.locator("svg")).not_to_contain_text("x[t]")
    assert _picture_state(explorer)["nodes"] == outer_nodes
    expect(explorer.locator(".gl-title")).to_have_text(re.compile(r"^running_sum: \d+ rewrites?,"))


def test_the_explorer_time_tab_colours_the_hottest_node(executed_notebook):
    page = executed_notebook("12_where_the_time_goes.ipynb")
    assert error_outputs(page) == []
    explorer = cell_with_source(page, "explorer = Explorer(train").locator(".gl-explorer")
    explorer.scroll_into_view_if_needed()
    expect(explorer.locator(".gl-tab[data-mode='time']")).to_be_visible()
    expect(explorer).to_have_attribute("data-mode", "time")
    profile = explorer.locator("pre.gl-profile")
    expect(profile).to_contain_text("Profile of function 'train' (backend c): 500 call(s)")
    timed = explorer.locator(".gl-picture svg g.gl-timed")
    assert timed.count() >= 5
    hottest = timed.filter(has_text="DotMapGemv")
    expect(hottest).to_have_count(1)
    # the hottest node is filled with the hottest colour, and its share is written under its op
    assert hottest.locator("ellipse, polygon").first.get_attribute("fill") == "#e74c3c"
    expect(hottest).to_contain_text(re.compile(r"\d+\.\d% · [\d.]+ [um]s/call"))
    hottest.click()
    expect(explorer.locator("tr.gl-detail-row[data-key='time']")).to_contain_text(
        "of the calls' time")
    # the other tabs hide the profile and draw the graph without times
    explorer.locator(".gl-tab[data-mode='after']").click()
    expect(profile).to_be_hidden()
    expect(explorer.locator(".gl-picture svg g.gl-timed")).to_have_count(0)
    explorer.locator(".gl-tab[data-mode='time']").click()
    expect(profile).to_be_visible()
