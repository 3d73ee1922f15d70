"""How much a live shared-variable widget slows a training loop (the goal: under 5 %).

Trains the seed tutorial's logistic regression for 10,000 steps with no widget, then with
SharedWidgets observing the weights and the bias, and prints the ratio of the times (alternating
chunks of 500 steps, medians): once on a small problem (100 examples, 50 features, about 12 us a
step, where the observer's cost shows most) and once at the seed's size. Run with `python -m bench widget`.
"""

from __future__ import annotations

import statistics
import time
import timeit

import numpy as np

import graphlab_kernel as G
import graphlab_kernel.tensor as T

STEPS = 10_000


def make_training(n: int = 100, feats: int = 50):
    """The seed's logistic regression: data, the shared weights and bias, and `train`."""
    rng = np.random.default_rng(0)
    data = (rng.standard_normal((n, feats)), rng.integers(0, 2, n).astype(float))
    x, y = T.dmatrix("x"), T.dvector("y")
    w = G.shared(rng.standard_normal(feats), name="w")
    b = G.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = T.grad(cost, [w, b])
    train = G.function([x, y], [p_1 > 0.5, xent], updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)])
    return train, data, (w, b)


def time_loop(train, data, steps: int = STEPS) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        train(*data)
    return time.perf_counter() - start


def measure(steps: int = STEPS, chunk: int = 500, n: int = 100, feats: int = 50
            ) -> tuple[float, float]:
    """Seconds for `steps` steps without and with widgets observing w and b.

    The steps run in alternating chunks (plain, watched, plain, ...) and each condition's time is
    its median chunk time times the number of chunks, so that load from other processes falls on
    both conditions alike.
    """
    from graphlab_extension import SharedWidget
    train, data, shared = make_training(n, feats)
    time_loop(train, data, 200)  # warm up
    widgets = [SharedWidget(v) for v in shared]
    callbacks = [(v, v._observers[-1]) for v in shared]
    plain, watched = [], []
    for _ in range(steps // chunk):
        for v, callback in callbacks:
            v.unobserve(callback)
        plain.append(time_loop(train, data, chunk))
        for v, callback in callbacks:
            v.observe(callback)
        watched.append(time_loop(train, data, chunk))
    for widget in widgets:
        widget.close()
    n = steps // chunk
    return statistics.median(plain) * n, statistics.median(watched) * n


def callback_cost(calls: int = 200_000) -> float:
    """Seconds a SharedWidget adds to each change of its variable (the observer's own cost)."""
    from graphlab_extension import SharedWidget
    variable = G.shared(np.zeros(3), name="v")
    bare = min(timeit.repeat(variable._notify, number=calls, repeat=5))
    widget = SharedWidget(variable)
    watched = min(timeit.repeat(variable._notify, number=calls, repeat=5))
    widget.close()
    return (watched - bare) / calls


def main() -> None:
    for n, feats, label in [(100, 50, "small (100 x 50)"), (400, 784, "the seed's (400 x 784)")]:
        plain, watched = measure(n=n, feats=feats)
        print(f"{STEPS} training steps, {label}: {plain:.3f} s without a widget, {watched:.3f} s "
              f"with widgets on w and b; ratio {watched / plain:.3f} (goal < 1.05)")
    per_change = callback_cost()
    estimate = 1 + 2 * per_change * STEPS / plain
    print(f"the observer costs {per_change * 1e6:.2f} us per change; two per step -> "
          f"estimated ratio {estimate:.3f} (insensitive to load from other processes)")


if __name__ == "__main__":
    main()
