"""Threads for the C-backend tests: a script run in a fresh interpreter with a given
GRAPHLAB_NUM_THREADS (to compare results bit for bit across thread counts), and Python threads
calling compiled functions at once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading


# appended to a script that leaves its results, a list of arrays, in `outs`
_DIGEST = """
import hashlib as _hashlib
from graphlab_kernel.backend.c import runtime as _runtime
_digest = _hashlib.sha256(b"".join(o.tobytes() for o in outs)).hexdigest()
print(_runtime.thread_pool().threads(), _digest)
"""


def run_with_threads(script: str, threads: int) -> tuple[int, str]:
    """(the pool's thread count, a digest of the arrays in `outs`) of `script`, a program that
    leaves its results in a list `outs`, run in a fresh interpreter with `threads` threads."""
    env = dict(os.environ, GRAPHLAB_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, "-c", script + _DIGEST], env=env, capture_output=True,
                         text=True, timeout=300, check=True).stdout.split()
    return int(out[0]), out[1]


def run_in_threads(work, arguments, timeout: float = 120.0) -> bool:
    """Run `work(*args)` for every `args` in `arguments`, each in a thread of its own, all at
    once; True when every thread finished within `timeout` seconds."""
    threads = [threading.Thread(target=work, args=tuple(args)) for args in arguments]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return not any(t.is_alive() for t in threads)
