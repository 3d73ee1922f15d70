"""Scalar ops for special functions and a few more elementwise ones: arctan2, erfc, gammaln,
psi (digamma) and its derivative trigamma, reciprocal, and Theano's ultra_fast_sigmoid.

Each is as the ops of scalar_ops.py: a NumPy implementation, a C expression, a gradient. The
C forms of gammaln, psi, trigamma and ultra_fast_sigmoid are helpers of the C prelude; psi and
trigamma are computed by the same steps in NumPy (below) and in C (the prelude), in float64 (a
float32 result is rounded from it), and agree with scipy.special to a few ulp (tested against
values scipy computed). No scipy is needed.
"""

from __future__ import annotations

import math

import numpy as np

from graphlab_kernel.tensor.scalar_ops import ScalarOp, _float_impl, _T


def _float64(fn):
    """`fn` on a float64 copy of its input (float32 results are rounded from float64)."""
    def impl(x):
        return fn(np.asarray(x, dtype="float64"))
    return impl


class ArcTan2(ScalarOp):
    """arctan2(y, x): the angle of the point (x, y), in [-pi, pi]"""
    name, nin, output, c_expr = "arctan2", 2, "float", "gl_atan2({0}, {1})"
    impl = _float_impl(np.arctan2)

    def grad(self, inputs, output, gz):
        y, x = inputs
        r2 = x * x + y * y
        return [gz * x / r2, -gz * y / r2]


def _erfc(x):
    return np.vectorize(math.erfc, otypes=["float64"])(x) if x.size else x.copy()


def _lgamma_one(v: float) -> float:
    if v == -math.inf:
        return -math.inf  # as scipy.special.gammaln
    try:
        return math.lgamma(v)
    except ValueError:  # a pole: 0 or a negative integer
        return math.inf


def _gammaln(x):
    return np.vectorize(_lgamma_one, otypes=["float64"])(x) if x.size else x.copy()


# psi(x) = log(x) - 1/(2x) - sum B_2k / (2k x^2k) for x >= 10 (Horner form in z = 1/x^2)
_PSI_SERIES = (1.0 / 12, 1.0 / 120, 1.0 / 252, 1.0 / 240, 1.0 / 132, 691.0 / 32760, 1.0 / 12)
# trigamma(x) = 1/x + 1/(2x^2) + sum B_2k / x^(2k+1) for x >= 10
_TRIGAMMA_SERIES = (1.0 / 6, 1.0 / 30, 1.0 / 42, 1.0 / 30, 5.0 / 66, 691.0 / 2730, 7.0 / 6)


def _alternating(z: np.ndarray, coefficients) -> np.ndarray:
    """c0 - z (c1 - z (c2 - ...)), evaluated innermost first (as the prelude's C)."""
    acc = np.full_like(z, coefficients[-1])
    for c in reversed(coefficients[:-1]):
        acc = c - z * acc
    return acc


def _psi(x: np.ndarray) -> np.ndarray:
    """digamma, as scipy.special.psi: reflection for x < 0 (with x's distance to the nearest
    integer, which is exact), the recurrence psi(x) = psi(x + 1) - 1/x up to x >= 10, then the
    asymptotic series; -inf at 0.0, +inf at -0.0, NaN at negative integers and -inf."""
    x = np.array(x, dtype="float64")
    zero, nan, inf = x == 0, np.isnan(x), x == np.inf
    pole = (x < 0) & (x == np.floor(x))
    signed_inf = np.copysign(np.inf, -x[zero])
    x[zero | nan | inf | pole] = 1.0  # computed as psi(1), then replaced
    out = np.zeros_like(x)
    with np.errstate(all="ignore"):
        negative = x < 0
        r = x[negative] - np.rint(x[negative])
        out[negative] = -np.pi / np.tan(np.pi * r)
        x[negative] = 1 - x[negative]
        for _ in range(10):
            small = x < 10
            out[small] = out[small] - 1 / x[small]
            x[small] = x[small] + 1
        z = 1 / (x * x)
        out = out + np.log(x) - 0.5 / x - z * _alternating(z, _PSI_SERIES)
    out[zero], out[nan | pole], out[inf] = signed_inf, np.nan, np.inf
    return out


def _trigamma(x: np.ndarray) -> np.ndarray:
    """The derivative of digamma, as scipy.special.polygamma(1, x): reflection for x < 0
    (trigamma(x) = pi^2 / sin^2(pi x) - trigamma(1 - x)), the recurrence trigamma(x) =
    trigamma(x + 1) + 1/x^2 up to x >= 10, then the asymptotic series; +inf at the poles (0 and
    the negative integers) and -inf, 0 at +inf."""
    x = np.array(x, dtype="float64")
    nan, inf = np.isnan(x), x == np.inf
    pole = (x <= 0) & (x == np.floor(x))
    x[nan | inf | pole] = 1.0  # computed as trigamma(1), then replaced
    head, sign, acc = np.zeros_like(x), np.ones_like(x), np.zeros_like(x)
    with np.errstate(all="ignore"):
        negative = x < 0
        s = np.sin(np.pi * (x[negative] - np.rint(x[negative])))
        head[negative] = np.pi * np.pi / (s * s)
        sign[negative] = -1.0
        x[negative] = 1 - x[negative]
        for _ in range(10):
            small = x < 10
            acc[small] = acc[small] + 1 / (x[small] * x[small])
            x[small] = x[small] + 1
        z = 1 / (x * x)
        tail = 1 / x + 0.5 * z + (1 / x) * z * _alternating(z, _TRIGAMMA_SERIES)
        out = head + sign * (acc + tail)
    out[pole], out[nan], out[inf] = np.inf, np.nan, 0.0
    return out


class _Special(ScalarOp):
    """A float-valued function of one value, computed in float64 (see the module docstring)."""
    output = "float"
    function = None

    def impl(self, x):
        return type(self).function(np.asarray(x))


class Erfc(_Special):
    """1 - erf(x), accurate where erf(x) is near 1"""
    name, c_expr, function = "erfc", "erfc({0})", staticmethod(_float64(_erfc))

    def grad(self, inputs, output, gz):
        return [-gz * (2 / np.sqrt(np.pi)) * _T().exp(-_T().sqr(inputs[0]))]


class GammaLn(_Special):
    """log |gamma(x)|, as scipy.special.gammaln (inf at the poles)"""
    name, c_expr, function = "gammaln", "gl_lgamma({0})", staticmethod(_float64(_gammaln))

    def grad(self, inputs, output, gz):
        return [gz * _T().psi(inputs[0])]


class Psi(_Special):
    """digamma: the derivative of gammaln, as scipy.special.psi"""
    name, c_expr, function = "psi", "gl_psi({0})", staticmethod(_psi)

    def grad(self, inputs, output, gz):
        from graphlab_kernel.tensor.special import trigamma
        return [gz * trigamma(inputs[0])]


class TriGamma(_Special):
    """trigamma: the derivative of psi, as scipy.special.polygamma(1, x)"""
    name, c_expr, function = "trigamma", "gl_trigamma({0})", staticmethod(_trigamma)

    def grad(self, inputs, output, gz):
        raise NotImplementedError("trigamma's derivative (polygamma(2, x)) is not implemented")


class Reciprocal(ScalarOp):
    """1 / x (a float, as Theano's inv)"""
    name, output, c_expr = "reciprocal", "float", "(1 / {0})"
    impl = _float_impl(np.reciprocal)

    def grad(self, inputs, output, gz):
        return [-gz * _T().sqr(output)]


# Theano's piecewise approximation of sigmoid: 0.5 * z(x / 2) + 0.5 with, for u = |x| / 2,
# z = 1.5 u / (1 + u) below 1.7, a line up to 3, then a constant (and z odd in x).
UFS_KNEE, UFS_END = 1.7, 3.0
UFS_LINE = (0.935409070603099, 0.0458812946797165)
UFS_TOP = 0.99505475368673


def _ultra_fast_sigmoid(x: np.ndarray) -> np.ndarray:
    """Theano's ultra_fast_sigmoid, in x's float dtype (constants rounded to it, as in C)."""
    c = x.dtype.type
    u = np.abs(c(0.5) * x)
    with np.errstate(all="ignore"):
        z = np.where(u < c(UFS_KNEE), c(1.5) * u / (c(1) + u),
                     np.where(u < c(UFS_END), c(UFS_LINE[0]) + c(UFS_LINE[1]) * (u - c(UFS_KNEE)),
                              c(UFS_TOP)))
    z = np.where(x < 0, -z, z).astype(x.dtype)
    return np.where(np.isnan(x), x, c(0.5) * z + c(0.5))


class UltraFastSigmoid(ScalarOp):
    """Theano's ultra_fast_sigmoid: a piecewise approximation of sigmoid (within 0.03 of it)"""
    name, output, c_expr = "ultra_fast_sigmoid", "float", "gl_ufsigmoid({0})"
    impl = _float_impl(_ultra_fast_sigmoid)

    def grad(self, inputs, output, gz):
        """The derivative of the approximation itself (Theano used sigmoid's, y (1 - y)): 0.25
        times z's slope at u = |x| / 2."""
        T = _T()
        u = abs(inputs[0] * 0.5)
        slope = T.switch(u < UFS_KNEE, 1.5 / T.sqr(1 + u), T.switch(u < UFS_END, UFS_LINE[1], 0))
        return [gz * 0.25 * slope]


arctan2, erfc, gammaln, psi = ArcTan2(), Erfc(), GammaLn(), Psi()
trigamma, reciprocal, ultra_fast_sigmoid = TriGamma(), Reciprocal(), UltraFastSigmoid()
