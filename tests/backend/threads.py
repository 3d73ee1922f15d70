"""Running a script in a fresh interpreter with a given GRAPHLAB_NUM_THREADS, for the tests that
compare results bit for bit across thread counts."""

from __future__ import annotations

import os
import subprocess
import sys


def run_with_threads(script: str, threads: int) -> tuple[int, str]:
    """(the pool's thread count, the digest) that `script` prints, run with `threads` threads."""
    env = dict(os.environ, GRAPHLAB_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                         timeout=300, check=True).stdout.split()
    return int(out[0]), out[1]
