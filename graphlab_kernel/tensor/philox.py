"""The random generator, in NumPy: Philox4x32-10 and the distributions drawn from its words.

Philox4x32-10 (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3",
SC'11) is a counter-based generator: a keyed bijection of a 128-bit counter, so the bits for any
position of a stream are computed directly from (key, counter), without stepping through the
ones before. This module is the reference; the C backend computes the same words, bit for bit
(backend/c/random_kernels.py).

A random state is a uint64 vector [key, draws]: the key (chosen by the seed) and how many draws
the state has made. Draw number `draws` with that key reads the counters

    (block & 0xffffffff, block >> 32, draws & 0xffffffff, draws >> 32)

for blocks 0, 1, 2, ...; each block gives two 64-bit words (w0 = x0 | x1 << 32, w1 = x2 | x3 << 32).
Element i of a draw (in C order) owns word i & 1 of block i >> 1, so its value depends on its
index alone, whatever the number of threads computing the others. A draw that needs more bits for
element i (rejection, see `integers`) takes word i & 1 of block (attempt << 56) | (i >> 1) for
attempts 1, 2, ...; hence at most 2**57 elements per draw.

- uniform: (w >> 11) * 2**-53, in [0, 1) (float32: (w >> 40) * 2**-24);
- normal: Box-Muller on the block's two words: u1 = ((w0 >> 11) + 1) * 2**-53 in (0, 1],
  u2 = (w1 >> 11) * 2**-53, r = sqrt(-2 log u1), t = 2 pi u2; element 2b is r cos t and element
  2b + 1 is r sin t (float32: computed in float64, then rounded);
- bernoulli(p): uniform < p, exactly (both sides are doubles);
- integers in [low, high]: Lemire's multiply-and-reject, unbiased.
"""

from __future__ import annotations

import numpy as np

LOW32 = np.uint64(0xFFFFFFFF)
MULTIPLIERS = (np.uint64(0xD2511F53), np.uint64(0xCD9E8D57))
WEYL = (0x9E3779B9, 0xBB67AE85)  # the key schedule's increments
ROUNDS = 10
ATTEMPT_SHIFT = 56  # block = attempt << 56 | (i >> 1)
MAX_ELEMENTS = 1 << 57
MAX_ATTEMPTS = 256  # rejection stops there (probability < 2**-255), keeping the last candidate
TWO_PI = 6.283185307179586  # the double nearest 2 pi, as C's literal


def philox4x32(counter, key: tuple[int, int]) -> tuple[np.ndarray, ...]:
    """Philox4x32-10 of the 4 counter words (uint64 arrays or ints holding 32-bit values) under
    the 2 key words; the 4 output words as uint64 arrays."""
    c0, c1, c2, c3 = (np.asarray(c, dtype=np.uint64) for c in counter)
    k0, k1 = (int(k) & 0xFFFFFFFF for k in key)
    m0, m1 = MULTIPLIERS
    for _ in range(ROUNDS):
        p0, p1 = c0 * m0, c2 * m1  # 32 x 32 -> 64 bits: exact in uint64
        c0, c1, c2, c3 = ((p1 >> np.uint64(32)) ^ c1 ^ np.uint64(k0), p1 & LOW32,
                          (p0 >> np.uint64(32)) ^ c3 ^ np.uint64(k1), p0 & LOW32)
        k0, k1 = (k0 + WEYL[0]) & 0xFFFFFFFF, (k1 + WEYL[1]) & 0xFFFFFFFF
    return c0, c1, c2, c3


def block_words(state: np.ndarray, blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two 64-bit words of each block (a uint64 array) of the draw `state` makes next."""
    key, draws = int(state[0]), int(state[1])
    blocks = np.asarray(blocks, dtype=np.uint64)
    x0, x1, x2, x3 = philox4x32((blocks & LOW32, blocks >> np.uint64(32),
                                 draws & 0xFFFFFFFF, draws >> 32),
                                (key & 0xFFFFFFFF, key >> 32))
    shift = np.uint64(32)
    return x0 | (x1 << shift), x2 | (x3 << shift)


def element_words(state: np.ndarray, n: int) -> np.ndarray:
    """Word i & 1 of block i >> 1 for each element i < n: each element's first 64 bits."""
    w0, w1 = block_words(state, np.arange((n + 1) // 2, dtype=np.uint64))
    return np.stack([w0, w1], axis=1).reshape(-1)[:n]


def _retry_words(state: np.ndarray, elements: np.ndarray, attempt: int) -> np.ndarray:
    """The words of `elements` (flat indices) for rejection attempt `attempt` >= 1."""
    elements = elements.astype(np.uint64)
    blocks = (elements >> np.uint64(1)) | np.uint64(attempt << ATTEMPT_SHIFT)
    w0, w1 = block_words(state, blocks)
    return np.where((elements & np.uint64(1)) == 0, w0, w1)


def to_unit(words: np.ndarray, dtype: str = "float64") -> np.ndarray:
    """Uniform values in [0, 1) from 64-bit words: the top 53 bits (24 for float32), scaled."""
    if dtype == "float32":
        return (words >> np.uint64(40)).astype(np.float32) * np.float32(2.0 ** -24)
    return (words >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def uniform(state: np.ndarray, shape: tuple[int, ...], dtype: str = "float64") -> np.ndarray:
    """Standard uniform values in [0, 1) of `shape`, as the next draw of `state` gives them."""
    return to_unit(element_words(state, _count(shape)), dtype).reshape(shape)


def normal(state: np.ndarray, shape: tuple[int, ...], dtype: str = "float64") -> np.ndarray:
    """Standard normal values of `shape` (Box-Muller: see the module's docstring)."""
    n = _count(shape)
    z0, z1 = box_muller(*block_words(state, np.arange((n + 1) // 2, dtype=np.uint64)))
    return np.stack([z0, z1], axis=1).reshape(-1)[:n].astype(dtype).reshape(shape)


def box_muller(w0: np.ndarray, w1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two standard normal values (float64) from each pair of words: r cos t and r sin t."""
    u1 = ((w0 >> np.uint64(11)) + np.uint64(1)).astype(np.float64) * 2.0 ** -53  # (0, 1]
    u2 = (w1 >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
    r = np.sqrt(-2.0 * np.log(u1))
    t = TWO_PI * u2
    return r * np.cos(t), r * np.sin(t)


def bernoulli(state: np.ndarray, p: np.ndarray, shape: tuple[int, ...],
              dtype: str = "int64") -> np.ndarray:
    """1 with probability p (broadcast to `shape`), else 0: uniform < p, in `dtype`."""
    u = to_unit(element_words(state, _count(shape))).reshape(shape)
    return (u < np.asarray(p, dtype=np.float64)).astype(dtype)


def integers(state: np.ndarray, low: np.ndarray, high: np.ndarray,
             shape: tuple[int, ...]) -> np.ndarray:
    """int64 values uniform in [low, high] (inclusive; broadcast to `shape`, low <= high).

    Lemire's method: with s = high - low + 1 values, x * s (a 128-bit product of the element's
    word x) has its high half uniform in [0, s) once products whose low half is below 2**64 mod s
    are rejected; a rejected element takes its next word (see the module's docstring)."""
    n = _count(shape)
    low = np.broadcast_to(np.asarray(low, dtype=np.int64), shape).reshape(-1)
    high = np.broadcast_to(np.asarray(high, dtype=np.int64), shape).reshape(-1)
    span = high.astype(np.uint64) - low.astype(np.uint64) + np.uint64(1)  # 0: all 2**64 values
    full = span == 0
    safe_span = np.where(full, np.uint64(1), span)
    threshold = (np.uint64(0) - safe_span) % safe_span  # 2**64 mod s
    words = element_words(state, n)
    high_half, low_half = _multiply(words, safe_span)
    rejected = np.flatnonzero(~full & (low_half < threshold))
    for attempt in range(1, MAX_ATTEMPTS):
        if rejected.size == 0:
            break
        retry = _retry_words(state, rejected, attempt)
        high_half[rejected], low_half[rejected] = _multiply(retry, safe_span[rejected])
        rejected = rejected[low_half[rejected] < threshold[rejected]]
    offset = np.where(full, words, high_half)
    return (low.astype(np.uint64) + offset).astype(np.int64).reshape(shape)


def _multiply(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The high and low 64-bit halves of the 128-bit products x * y (uint64 arrays)."""
    shift = np.uint64(32)
    x0, x1, y0, y1 = x & LOW32, x >> shift, y & LOW32, y >> shift
    p00, p01, p10, p11 = x0 * y0, x0 * y1, x1 * y0, x1 * y1
    middle = (p00 >> shift) + (p01 & LOW32) + (p10 & LOW32)
    return p11 + (p01 >> shift) + (p10 >> shift) + (middle >> shift), x * y


def _count(shape: tuple[int, ...]) -> int:
    n = 1
    for length in shape:
        n *= int(length)
    return n


# --- seeding ------------------------------------------------------------------------------------

MASK64 = (1 << 64) - 1


def splitmix64(x: int) -> int:
    """SplitMix64's output function (Steele, Lea and Flood, OOPSLA 2014) of the 64-bit x."""
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def initial_state(seed: int, stream: int) -> np.ndarray:
    """The state of stream number `stream` (>= 0) of a seed in [0, 2**64): a key hashed from
    both (SplitMix64 is a bijection, so the streams of one seed have distinct keys), no draws."""
    key = splitmix64(splitmix64(seed) ^ stream)  # distinct streams of a seed: distinct keys
    return np.array([key, 0], dtype=np.uint64)
