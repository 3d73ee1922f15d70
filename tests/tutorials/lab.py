"""Driving a notebook in JupyterLab the way a person does: open it, run all cells, look at outputs.

JupyterLab is started with `expose_app_in_browser`, so its command registry (`window.jupyterapp`)
runs the same commands as the menus; the checks themselves look only at what is drawn on the page.
"""

from __future__ import annotations

from playwright.sync_api import Locator, Page

RUN_ALL_TIMEOUT_MS = 150_000


def open_notebook(page: Page, lab, name: str) -> None:
    """Open tutorials/<name> in JupyterLab and wait until its kernel is ready."""
    page.goto(lab.notebook_url(name))
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", state="visible",
                           timeout=60_000)
    page.wait_for_function(
        """() => {
            const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
            const kernel = panel && panel.sessionContext && panel.sessionContext.session
                && panel.sessionContext.session.kernel;
            return kernel && kernel.status === 'idle';
        }""", timeout=60_000)


def run_all_cells(page: Page, timeout_ms: int = RUN_ALL_TIMEOUT_MS) -> None:
    """Run every cell, top to bottom, and wait until the last one has finished."""
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    wait_until_idle(page, timeout_ms)


def start_running_all_cells(page: Page) -> None:
    """Start running every cell and return at once (to watch outputs change while they run)."""
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")


def wait_until_idle(page: Page, timeout_ms: int = RUN_ALL_TIMEOUT_MS) -> None:
    """Wait until no code cell is queued or running (its prompt shows a number, not '*')."""
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll(
                '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')];
            const panel = window.jupyterapp.shell.currentWidget;
            const kernel = panel.sessionContext.session.kernel;
            return prompts.length > 0 && kernel.status === 'idle'
                && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""", timeout=timeout_ms, polling=250)


def error_outputs(page: Page) -> list[str]:
    """The text of every error output on the page (tracebacks shown to the reader)."""
    return page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
                        ", .jp-RenderedText[data-mime-type='application/vnd.jupyter.error']"
                        ).all_inner_texts()


def cell_with_source(page: Page, text: str) -> Locator:
    """The first code cell whose source contains `text`.

    The editor draws only the lines on screen, so the source is read from the notebook's model;
    the cell found is tagged with a data attribute for the locator.
    """
    tag = page.evaluate(
        """(text) => {
            const cells = window.jupyterapp.shell.currentWidget.content.widgets;
            const cell = cells.find(c => c.model.type === 'code'
                                         && c.model.sharedModel.getSource().includes(text));
            if (!cell) return null;
            const tag = String(cells.indexOf(cell));
            cell.node.setAttribute('data-test-cell', tag);
            return tag;
        }""", text)
    assert tag is not None, f"no code cell contains {text!r}"
    return page.locator(f".jp-CodeCell[data-test-cell='{tag}']")


def svg_pictures(cell: Locator) -> list[str]:
    """The SVG source of every picture in `cell`'s output (JupyterLab draws them as <img>)."""
    return cell.evaluate(
        """(cell) => [...cell.querySelectorAll('.jp-RenderedSVG img, .jp-RenderedSVG svg')]
            .map(el => el.tagName === 'IMG'
                 ? decodeURIComponent(el.getAttribute('src').split(',').slice(1).join(','))
                 : el.outerHTML)""")


def visible_svg_images(page: Page) -> list[dict]:
    """Size and position of every SVG picture in the cell outputs that is drawn with a real size."""
    return page.evaluate(
        """() => [...document.querySelectorAll(
                '.jp-OutputArea-output img, .jp-OutputArea-output svg, .jp-RenderedSVG svg')]
            .map(el => { const r = el.getBoundingClientRect();
                         return {tag: el.tagName, width: r.width, height: r.height,
                                 src: (el.getAttribute('src') || '').slice(0, 30)}; })
            .filter(r => r.width > 20 && r.height > 20)""")
