"""A second, independent reference for the random draws: Philox4x32-10 and each distribution
element by element with Python ints and the math module (glibc's libm), written from the
published algorithm and graphlab_kernel/tensor/philox.py's docstring, not from its code (the key
schedule is bumped before each round after the first, as Random123 writes it). Slow: for small
draws only."""

from __future__ import annotations

import math

import numpy as np

M = (0xD2511F53, 0xCD9E8D57)
W = (0x9E3779B9, 0xBB67AE85)
MASK32 = 0xFFFFFFFF


def philox(counter: tuple[int, int, int, int], key: tuple[int, int]) -> tuple[int, ...]:
    """Philox4x32-10 of one counter: the 4 output words."""
    x, k = list(counter), list(key)
    for r in range(10):
        if r:
            k = [(k[0] + W[0]) & MASK32, (k[1] + W[1]) & MASK32]
        a, b = M[0] * x[0], M[1] * x[2]
        x = [(b >> 32) ^ x[1] ^ k[0], b & MASK32, (a >> 32) ^ x[3] ^ k[1], a & MASK32]
    return tuple(x)


def word(state, element: int, attempt: int = 0) -> int:
    """Element `element`'s 64-bit word (for rejection attempt `attempt`) of the state's next draw."""
    words = block(state, element // 2, attempt)
    return words[element % 2]


def block(state, index: int, attempt: int = 0) -> tuple[int, int]:
    key, draws = int(state[0]), int(state[1])
    b = (attempt << 56) + index
    x = philox((b & MASK32, b >> 32, draws & MASK32, draws >> 32), (key & MASK32, key >> 32))
    return x[0] + (x[1] << 32), x[2] + (x[3] << 32)


def uniform(state, n: int, dtype: str = "float64") -> np.ndarray:
    if dtype == "float32":
        return np.array([(word(state, i) >> 40) / 2.0 ** 24 for i in range(n)], dtype="float32")
    return np.array([(word(state, i) >> 11) / 2.0 ** 53 for i in range(n)])


def normal(state, n: int) -> np.ndarray:
    values = []
    for i in range(n):
        w0, w1 = block(state, i // 2)
        u1, u2 = ((w0 >> 11) + 1) / 2.0 ** 53, (w1 >> 11) / 2.0 ** 53
        r, t = math.sqrt(-2.0 * math.log(u1)), 2 * math.pi * u2
        values.append(r * (math.cos(t) if i % 2 == 0 else math.sin(t)))
    return np.array(values)


def bernoulli(state, p, n: int) -> np.ndarray:
    p = np.broadcast_to(np.asarray(p, dtype=np.float64), (n,))
    return np.array([int((word(state, i) >> 11) / 2.0 ** 53 < p[i]) for i in range(n)])


def integers(state, low, high, n: int) -> np.ndarray:
    """Lemire's method with Python's unbounded ints."""
    low = np.broadcast_to(np.asarray(low), (n,))
    high = np.broadcast_to(np.asarray(high), (n,))
    values = []
    for i in range(n):
        lo, hi = int(low[i]), int(high[i])
        span = hi - lo + 1
        x = word(state, i)
        if span == 2 ** 64:
            values.append(lo + x)
            continue
        product, attempt = x * span, 0
        while product % 2 ** 64 < (2 ** 64) % span and attempt < 255:
            attempt += 1
            product = word(state, i, attempt) * span
        values.append(lo + (product >> 64))
    return np.array(values, dtype=np.int64)
