"""gammaln, psi and trigamma against values scipy.special computed (scipy 1.17.1; scipy is not a
dependency), on both backends; gradients through them; ultra_fast_sigmoid against Theano's
formula written out; isclose at infinities and NaN; pp."""

from __future__ import annotations

import math

import numpy as np
import pytest

import graphlab_kernel.tensor as T
from graphlab_kernel import function, grad, pp
from graphlab_kernel.tensor.special import trigamma
from gradcheck import check_grad

BACKENDS = ["numpy", "c"]
inf, nan = math.inf, math.nan

# scipy.special.digamma(x); at -2.9999 (as a double), the value computed to 50 digits as
# psi(x + 4) (its Taylor series at 1) minus the exact sum of 1/(x + k), k < 4: scipy's
# -9998.74358170721 is 8.7e-14 off it, relatively
PSI = [(1e-300, -9.999999999999999e+299), (1e-08, -100000000.57721564),
       (0.1, -10.423754940411076), (0.5, -1.9635100260214235), (1.0, -0.5772156649015329),
       (1.4616321449683622, -9.241265521729427e-17), (1.5, 0.03648997397857652),
       (2.0, 0.42278433509846713), (3.7, 1.1671535393615113), (9.99, 2.250700372831201),
       (10.0, 2.251752589066721), (10.5, 2.3030010342976865), (57.3, 4.039549239957579),
       (1e6, 13.81551005796419), (1e300, 690.7755278982137), (-0.3, 2.1133097796353972),
       (-0.5, 0.03648997397857651), (-1.5, 0.7031566406452434), (-2.9999, -9998.743581706345),
       (-7.25, 5.189977214956288), (-1e-08, 99999999.42278431), (-1e15 - 0.5, 34.538776394910684),
       (0.0, -inf), (-0.0, inf), (-3.0, nan), (inf, inf), (-inf, nan)]
# scipy.special.polygamma(1, x)
TRIGAMMA = [(1e-08, 1e+16), (0.1, 101.43329915079275), (0.5, 4.93480220054468),
            (1.0, 1.6449340668482266), (1.5, 0.9348022005446793), (2.0, 0.6449340668482266),
            (3.7, 0.31003785767003833), (9.99, 0.10527695014824176), (10.0, 0.10516633568168576),
            (57.3, 0.017605179101050656), (1e6, 1.0000005000001667e-06),
            (-0.3, 13.945160267805724), (-0.5, 8.934802200544679), (-1.5, 9.379246644989124),
            (-7.25, 19.610354539293265), (0.0, inf), (-3.0, inf), (inf, 0.0), (-inf, inf)]
# scipy.special.gammaln(x)
GAMMALN = [(1e-300, 690.7755278982137), (1e-08, 18.42068073818021), (0.1, 2.252712651734206),
           (0.5, 0.5723649429247), (1.0, 0.0), (1.5, -0.12078223763524526), (2.0, 0.0),
           (3.7, 1.428072326665388), (10.5, 13.940625219403763), (57.3, 173.56386827969146),
           (1e6, 12815504.569147611), (1e300, 6.897755278982137e+302), (-0.3, 1.4648400508576027),
           (-0.5, 1.2655121234846454), (-1.5, 0.860047015376481), (-2.9999, 7.418706529543073),
           (-7.25, -7.541883443475751), (0.0, inf), (-3.0, inf), (inf, inf), (-inf, -inf)]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("fn", "table"), [(T.psi, PSI), (trigamma, TRIGAMMA),
                                           (T.gammaln, GAMMALN)], ids=["psi", "trigamma", "gammaln"])
def test_special_functions_agree_with_scipy(backend, fn, table):
    x = T.dvector("x")
    f = function([x], fn(x), backend=backend)
    assert f.backend == backend and f.fallback_reason is None
    points, expected = np.array(table).T
    got = f(points)
    # a few ulp; near a zero of the function (psi at 1.46..., gammaln at 1 and 2), absolutely
    np.testing.assert_allclose(got, expected, rtol=4e-15, atol=4e-16)
    np.testing.assert_array_equal(np.signbit(got[np.isinf(expected)]),
                                  np.signbit(expected[np.isinf(expected)]))
    # float32: computed in float64 and rounded, as scipy's float32 loops do
    y = T.fvector("y")
    f32 = function([y], fn(y), backend=backend)
    small = points[np.abs(points) < 1e30].astype("float32")
    got32 = f32(small)
    assert got32.dtype == np.float32
    np.testing.assert_array_equal(got32, f(small.astype("float64")).astype("float32"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_gradients_of_gammaln_psi_arctan2_erfc_and_inv(backend):
    x, y = T.dvector("x"), T.dvector("y")
    rng = np.random.default_rng(6)
    a, b = rng.uniform(0.3, 6, 8), rng.uniform(-2, 2, 8)
    cost = T.sum(T.gammaln(x) * b + T.psi(x) ** 2 + T.arctan2(y, x) + T.erfc(y) * T.inv(x))
    g = grad(cost, [x, y])
    f = function([x, y], g, backend=backend)
    assert f.backend == backend and f.fallback_reason is None
    check_grad([x, y], cost, [a, b], [0, 1], rng, backend=backend)
    # psi's derivative is trigamma, whose own derivative is not implemented
    with pytest.raises(NotImplementedError, match=r"trigamma's derivative \(polygamma\(2, x\)\)"):
        grad(T.sum(grad(T.sum(T.psi(x)), x)), x)


def _theano_ultra_fast_sigmoid(v: float) -> float:
    """Theano's UltraFastSigmoid, transcribed to plain Python floats."""
    u = v / 2.0
    if u >= 0:
        z = 1.5 * u / (1 + u) if u < 1.7 else (0.935409070603099 + 0.0458812946797165 * (u - 1.7)
                                                if u < 3 else 0.99505475368673)
    else:
        w = -u
        z = -(1.5 * w / (1 + w) if w < 1.7 else (0.935409070603099 + 0.0458812946797165 *
                                                 (w - 1.7) if w < 3 else 0.99505475368673))
    return 0.5 * z + 0.5


@pytest.mark.parametrize("backend", BACKENDS)
def test_ultra_fast_sigmoid_is_theanos_approximation(backend):
    x = T.dvector("x")
    f = function([x], [T.nnet.ultra_fast_sigmoid(x), T.nnet.hard_sigmoid(x)], backend=backend)
    points = np.concatenate([np.linspace(-12, 12, 481), [3.4, -3.4, 6.0, -6.0, 0.0, -0.0]])
    fast, hard = f(points)
    np.testing.assert_array_equal(fast, [_theano_ultra_fast_sigmoid(v) for v in points])
    assert np.max(np.abs(fast - 1 / (1 + np.exp(-points)))) < 0.03
    np.testing.assert_array_equal(hard, np.clip(0.2 * points + 0.5, 0, 1))
    assert np.isnan(f(np.array([np.nan]))[0][0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_isclose_at_infinities_and_nan_as_numpy(backend):
    a, b = T.dvector("a"), T.fvector("b")
    f = function([a, b], [T.isclose(a, b), T.isclose(a, b, equal_nan=True),
                          T.allclose(a, b, rtol=0, atol=0.5)], backend=backend)
    va = np.array([inf, inf, -inf, nan, nan, 1.0, 1.0, 1e10, 0.0])
    vb = np.array([inf, -inf, -inf, nan, 1.0, nan, 1.0 + 1e-6, 1.0001e10, 1e-9], dtype="float32")
    plain, with_nan, everywhere = f(va, vb)
    np.testing.assert_array_equal(plain, np.isclose(va, vb))
    np.testing.assert_array_equal(with_nan, np.isclose(va, vb, equal_nan=True))
    assert everywhere.dtype == bool and not everywhere


def test_types_errors_and_pp():
    x, i = T.fvector("x"), T.ivector("i")
    assert T.psi(x).dtype == "float32" and T.gammaln(i).dtype == "float64"
    assert T.arctan2(i, x).dtype == "float64" and T.inv(i).dtype == "float64"
    assert T.isclose(i, i).dtype == "bool" and T.allclose(x, x).type == T.TensorType("bool", ())
    assert pp(T.psi(x)) == "psi(x)" and pp(T.arctan2(x, i)) == "arctan2(x, i)"
    assert pp(T.inv(x)) == "reciprocal(x)" and T.inv is T.reciprocal
    assert pp(T.nnet.ultra_fast_sigmoid(x)) == "ultra_fast_sigmoid(x)"
    assert pp(T.largest(x, i, 2.0)) == "maximum(maximum(x, i), TensorConstant{2.0})"
    with pytest.raises(TypeError, match="largest takes at least one tensor"):
        T.largest()
    m, am = T.max_and_argmax(T.dmatrix("m"), axis=0)
    assert m.type == T.dvector and am.type == T.lvector
