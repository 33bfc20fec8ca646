"""The surface registry: analytic gradients, vectorisation, minima and starts."""

from __future__ import annotations

import numpy as np
import pytest

from adagrad_core import SURFACES

NAMES = sorted(SURFACES)
ISSUE_SURFACES = {"quadratic", "rotated", "rosenbrock", "beale", "saddle", "himmelblau", "plateau"}


def _inside(surface, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    (x0, x1), (y0, y1) = surface.bounds
    return np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])


def _central_differences(f, p: np.ndarray) -> np.ndarray:
    out = np.empty_like(p)
    for k in range(p.shape[-1]):
        h = 1e-6 * np.maximum(1.0, np.abs(p[..., k]))
        e = np.zeros_like(p)
        e[..., k] = h
        out[..., k] = (f(p + e) - f(p - e)) / (2 * h)
    return out


def test_registry_has_the_surfaces_the_issue_names():
    assert ISSUE_SURFACES.issubset(SURFACES)
    for name, s in SURFACES.items():
        assert s.name == name and s.label and s.lesson


@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_central_differences(name):
    s = SURFACES[name]
    p = _inside(s, 300, seed=NAMES.index(name))
    g = s.grad(p)
    fd = _central_differences(s.value, p)
    # Finite differences lose ~1e-16 * |f| / h to rounding: allow that against the largest slope.
    atol = 1e-6 * max(1.0, np.abs(g).max())
    np.testing.assert_allclose(g, fd, rtol=1e-5, atol=atol)


def test_finite_difference_check_is_sharp_enough():
    """Control: a gradient 0.1% off in one coordinate fails the check above."""
    s = SURFACES["rosenbrock"]
    p = _inside(s, 300, seed=0)
    wrong = s.grad(p) * np.array([1.0, 1.001])
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(
            wrong, _central_differences(s.value, p), rtol=1e-5, atol=1e-6 * np.abs(wrong).max()
        )


@pytest.mark.parametrize("name", NAMES)
def test_value_and_grad_are_vectorised(name):
    s = SURFACES[name]
    p = _inside(s, 12, seed=100).reshape(3, 4, 2)  # (k, n, 2)
    v, g = s.value(p), s.grad(p)
    assert v.shape == (3, 4) and g.shape == (3, 4, 2)
    flat_v, flat_g = s.value(p.reshape(12, 2)), s.grad(p.reshape(12, 2))  # (n, 2)
    assert flat_v.shape == (12,) and flat_g.shape == (12, 2)
    np.testing.assert_array_equal(v.reshape(12), flat_v)
    np.testing.assert_array_equal(g.reshape(12, 2), flat_g)
    for i, q in enumerate(p.reshape(12, 2)):  # one point at a time, shape (2,)
        assert np.shape(s.value(q)) == () and s.grad(q).shape == (2,)
        np.testing.assert_allclose(s.value(q), flat_v[i], rtol=1e-15, atol=0)
        np.testing.assert_allclose(s.grad(q), flat_g[i], rtol=1e-15, atol=0)
    assert np.isfinite(v).all() and np.isfinite(g).all()


@pytest.mark.parametrize("name", NAMES)
def test_listed_minima_are_stationary_local_minima(name):
    s = SURFACES[name]
    assert s.minima
    scale = max(1.0, np.abs(s.grad(_inside(s, 100, seed=7))).max())
    rng = np.random.default_rng(3)
    for m in s.minima:
        m = np.array(m)
        assert np.linalg.norm(s.grad(m)) < 1e-10 * scale, (name, m)
        # and a minimum, not a saddle or maximum: every nearby point is no lower
        nearby = m + 1e-3 * rng.standard_normal((50, 2))
        assert np.all(s.value(nearby) >= s.value(m))
    assert s.f_min == pytest.approx(min(float(s.value(np.array(m))) for m in s.minima))


@pytest.mark.parametrize("name", NAMES)
def test_start_and_minima_lie_inside_the_bounds(name):
    s = SURFACES[name]
    (x0, x1), (y0, y1) = s.bounds
    assert x0 < x1 and y0 < y1
    for x, y in (s.start, *s.minima):
        assert x0 <= x <= x1 and y0 <= y <= y1, (name, (x, y))
    assert np.linalg.norm(s.grad(np.array(s.start))) > 1e-3  # a start that is not already done


def test_rotated_is_the_quadratic_turned_by_45_degrees():
    q, r = SURFACES["quadratic"], SURFACES["rotated"]
    c = np.sqrt(0.5)
    p = _inside(q, 50, seed=5)
    turned = p @ np.array([[c, c], [-c, c]])  # rotate each point by +45 degrees
    np.testing.assert_allclose(r.value(turned), q.value(p), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(r.value(np.array(r.start)), q.value(np.array(q.start)), rtol=1e-12)
