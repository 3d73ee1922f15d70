"""Settings, as Theano's `theano.config`. One so far: `floatX`, the dtype of the variables that
T.scalar(), T.vector(), T.matrix(), ... and T.tensor() make, and of T.zeros, T.ones and T.eye,
when no dtype is given. It is float64 unless GRAPHLAB_FLOATX is set in the environment, and can
be changed at run time (`graphlab_kernel.config.floatX = "float32"`). As in NumPy 2 (and unlike
Theano), a Python float constant does not follow it: x + 0.5 keeps x's dtype anyway."""

from __future__ import annotations

import os

FLOATX_CHOICES = ("float16", "float32", "float64")


class Config:
    """The process's settings (one instance: graphlab_kernel.config)."""

    def __init__(self) -> None:
        self._floatX = _checked_floatX(os.environ.get("GRAPHLAB_FLOATX", "float64"),
                                       "GRAPHLAB_FLOATX")

    @property
    def floatX(self) -> str:  # noqa: N802 (Theano's name)
        return self._floatX

    @floatX.setter
    def floatX(self, value: str) -> None:  # noqa: N802
        self._floatX = _checked_floatX(value, "config.floatX")

    def __repr__(self) -> str:
        return f"Config(floatX={self._floatX!r})"


def _checked_floatX(value, what: str) -> str:  # noqa: N802
    if value not in FLOATX_CHOICES:
        raise ValueError(f"{what} must be one of {', '.join(FLOATX_CHOICES)}; got {value!r}")
    return value


config = Config()
