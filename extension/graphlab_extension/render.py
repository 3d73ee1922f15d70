"""Turning diagrams into SVG with graphviz's `dot`, and what to do when `dot` is not installed."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import graphviz

from graphlab_extension.diagram import Diagram, to_graphviz

INSTALL_HINT = (
    "graphlab: the graph pictures need graphviz's `dot` program, which was not found on PATH. "
    "Showing text views instead. Install it with `sudo apt-get install graphviz` (Debian/Ubuntu), "
    "`brew install graphviz` (macOS) or `conda install -c conda-forge graphviz`, then re-run the cell."
)


SAVE_FORMATS = ("svg", "png", "pdf", "dot", "gv")  # what `save` can write, by file suffix


def code_text(function, label: str) -> str:
    """What a code view shows for a compiled function: its generated C, or why it has none."""
    if function.c_source:
        return function.c_source
    why = f" ({function.fallback_reason})" if function.fallback_reason else ""
    return f"/* No generated C source: {label} runs on the '{function.backend}' backend{why}. */"


class DotMissing(RuntimeError):
    """graphviz's `dot` program is not installed."""


def dot_available() -> bool:
    """Whether graphviz's `dot` program can be run."""
    return shutil.which("dot") is not None


_CLASS = re.compile(r'class="[^"]*"')
_NODE_G = re.compile(r'<g id="([^"]+)" class="node([^"]*)"')


def svg_of(diagram: Diagram, style: str = "compact") -> str:
    """The diagram as an SVG element (no XML prologue), each node's `<g>` carrying `data-node-id`.

    Raises DotMissing when `dot` is not installed.
    """
    if not dot_available():
        raise DotMissing(INSTALL_HINT)
    try:
        raw = to_graphviz(diagram, style).pipe(format="svg", encoding="utf-8")
    except graphviz.ExecutableNotFound as exc:
        raise DotMissing(INSTALL_HINT) from exc
    svg = raw[raw.index("<svg"):]
    svg = _CLASS.sub(lambda m: m[0].replace("&#45;", "-"), svg)
    svg = _NODE_G.sub(lambda m: f'<g id="{m[1]}" data-node-id="{m[1]}" class="node{m[2]}"', svg)
    return svg.replace("<svg ", f'<svg class="gl-graph gl-style-{style}" ', 1)


def save_format(path: str | Path) -> str:
    """The picture format `save` writes for `path`, by its suffix (none: svg); ValueError when
    the suffix is not one of SAVE_FORMATS."""
    fmt = Path(path).suffix.lstrip(".").lower() or "svg"
    if fmt not in SAVE_FORMATS:
        raise ValueError(f"the file name must end in one of "
                         f"{', '.join('.' + f for f in SAVE_FORMATS)}")
    return fmt


def save(diagram: Diagram, path: str | Path, style: str = "compact") -> Path:
    """Write the picture to `path`; the suffix picks the format (.svg, .png, .pdf, .dot/.gv)."""
    path = Path(path)
    fmt = save_format(path)
    if fmt in ("dot", "gv"):
        path.write_text(to_graphviz(diagram, style).source)
        return path
    if fmt == "svg":
        path.write_text(svg_of(diagram, style))
        return path
    if not dot_available():
        raise DotMissing(INSTALL_HINT)
    path.write_bytes(to_graphviz(diagram, style).pipe(format=fmt))
    return path
