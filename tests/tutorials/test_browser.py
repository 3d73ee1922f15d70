"""What a person sees in JupyterLab when running the tutorials, checked in a real browser."""

from __future__ import annotations

import pytest

from tests.tutorials.lab import (cell_with_source, error_outputs, open_notebook, run_all_cells,
                                 svg_pictures, visible_svg_images)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


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
