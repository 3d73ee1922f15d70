"""`import graphlab_kernel` is fast and pulls in nothing from Jupyter, IPython or graphviz."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("IPython", "ipywidgets", "ipykernel", "jupyter", "graphviz", "anywidget")

PROBE = """
import json, sys, time
start = time.process_time()  # CPU time: other processes on a busy machine do not count
import graphlab_kernel
import graphlab_kernel.tensor as T
elapsed = time.process_time() - start
print(json.dumps({"elapsed": elapsed, "modules": sorted(sys.modules)}))
"""


def _probe() -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_import_is_fast_and_light():
    runs = [_probe() for _ in range(3)]  # the best of three
    best = min(r["elapsed"] for r in runs)
    assert best < 0.3, f"import graphlab_kernel took {best:.3f} s"
    heavy = sorted(m for m in runs[0]["modules"]
                   if m.split(".")[0].lower().startswith(tuple(f.lower() for f in FORBIDDEN)))
    assert not heavy, f"import graphlab_kernel imported {heavy}"
