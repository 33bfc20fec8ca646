"""2-D loss surfaces: value and analytic gradient, vectorised over ``(..., 2)``.

Each :class:`Surface` carries its plotting bounds, a default start and its known minima, so a
page can draw and run it without knowing anything else about it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Fn = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Surface:
    name: str
    label: str
    value: Fn  # (..., 2) -> (...)
    grad: Fn  # (..., 2) -> (..., 2)
    bounds: tuple[tuple[float, float], tuple[float, float]]  # (x range, y range) for plots
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    log_levels: bool  # contour on a log scale: the surface spans many orders of magnitude
    lesson: str  # what this surface shows, one line

    @property
    def f_min(self) -> float:
        return float(min(self.value(np.array(m)) for m in self.minima))

    @functools.cached_property
    def falls_past_edge(self) -> bool:
        """Does f keep falling past the plot's edge from a lowest point on it (a typed x + y)?
        Then f* is only the lowest value in the plot, and f has no minimum there. (Worked out
        once per surface: a page asks several times a run.)"""
        for m in self.minima:
            f = self.value(np.array(m))
            for i, (lo, hi) in enumerate(self.bounds):
                for edge, out in ((lo, -1), (hi, 1)):
                    if m[i] == edge:
                        p = np.array(m, dtype=float)
                        p[i] += out * 1e-3 * (hi - lo)
                        if self.value(p) < f:  # NaN outside compares False
                            return True
        return False


def _xy(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(p, dtype=float)
    if p.shape[-1:] != (2,):
        raise ValueError(f"points must have shape (..., 2), got {p.shape}")
    return p[..., 0], p[..., 1]


def _stack(gx, gy) -> np.ndarray:
    gx, gy = np.asarray(gx), np.asarray(gy)
    shape = gx.shape if gx.shape == gy.shape else np.broadcast_shapes(gx.shape, gy.shape)
    out = np.empty((*shape, 2))  # faster than np.stack
    out[..., 0] = gx
    out[..., 1] = gy
    return out


# d2l.ai's ill-conditioned quadratic f = 0.1 x^2 + 2 y^2 (section 12.7)
def quadratic(p):
    x, y = _xy(p)
    return 0.1 * x**2 + 2 * y**2


def quadratic_grad(p):
    x, y = _xy(p)
    return _stack(0.2 * x, 4 * y)


_C = np.sqrt(0.5)  # cos 45 deg = sin 45 deg


def _unrotate(p):
    """Coordinates in the frame of the unrotated quadratic (rotation by -45 degrees)."""
    x, y = _xy(p)
    return _stack(_C * (x + y), _C * (y - x))


def rotated(p):
    return quadratic(_unrotate(p))


def rotated_grad(p):
    gu = quadratic_grad(_unrotate(p))
    u, v = gu[..., 0], gu[..., 1]
    return _stack(_C * (u - v), _C * (u + v))


def rosenbrock(p):
    x, y = _xy(p)
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def rosenbrock_grad(p):
    x, y = _xy(p)
    r = y - x**2
    return _stack(-2 * (1 - x) - 400 * x * r, 200 * r)


def beale(p):
    x, y = _xy(p)
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def beale_grad(p):
    x, y = _xy(p)
    a, b, c = 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3
    gx = 2 * a * (y - 1) + 2 * b * (y**2 - 1) + 2 * c * (y**3 - 1)
    gy = 2 * a * x + 4 * b * x * y + 6 * c * x * y**2
    return _stack(gx, gy)


# A saddle at the origin between two valleys at y = +-sqrt(2): x^2 - y^2 + y^4 / 4
def saddle(p):
    x, y = _xy(p)
    return x**2 - y**2 + 0.25 * y**4


def saddle_grad(p):
    x, y = _xy(p)
    return _stack(2 * x, -2 * y + y**3)


def himmelblau(p):
    x, y = _xy(p)
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def himmelblau_grad(p):
    x, y = _xy(p)
    a, b = x**2 + y - 11, x + y**2 - 7
    return _stack(4 * a * x + 2 * b, 2 * a + 4 * b * y)


# A near-flat plateau in x beside a steep wall in y: 1 - exp(-x^2 / 10) + 4 y^2.
# Far out on the plateau the x-gradient is ~1e-3 while the wall's is ~10: one global learning
# rate is either unstable in y or frozen in x; a per-coordinate one is neither.
def plateau(p):
    x, y = _xy(p)
    return 1 - np.exp(-(x**2) / 10) + 4 * y**2


def plateau_grad(p):
    x, y = _xy(p)
    return _stack(0.2 * x * np.exp(-(x**2) / 10), 8 * y)


_R = np.sqrt(0.5) * np.array([-5.0 - 2.0, -5.0 + 2.0])  # d2l's start, rotated by 45 degrees
_HIMMELBLAU_MIN = (
    (3.0, 2.0),
    (-2.805118086952745, 3.131312518250573),
    (-3.779310253377747, -3.283185991286170),
    (3.584428340330492, -1.848126526964404),
)

SURFACES: dict[str, Surface] = {
    s.name: s
    for s in [
        Surface(
            "quadratic",
            "Ill-conditioned quadratic 0.1x² + 2y²",
            quadratic,
            quadratic_grad,
            ((-6.0, 6.0), (-3.0, 3.0)),
            (-5.0, -2.0),
            ((0.0, 0.0),),
            False,
            "y is 20× steeper than x: one global step size is too big for y or too small for x.",
        ),
        Surface(
            "rotated",
            "Same quadratic, rotated 45°",
            rotated,
            rotated_grad,
            ((-6.0, 6.0), (-6.0, 6.0)),
            (float(_R[0]), float(_R[1])),
            ((0.0, 0.0),),
            False,
            "The valley runs diagonally: per-coordinate step sizes no longer line up with it.",
        ),
        Surface(
            "rosenbrock",
            "Rosenbrock (banana valley)",
            rosenbrock,
            rosenbrock_grad,
            ((-2.0, 2.0), (-1.0, 3.0)),
            (-1.5, 2.5),
            ((1.0, 1.0),),
            True,
            "A curved, flat-bottomed valley: easy to fall in, slow to follow to the minimum.",
        ),
        Surface(
            "beale",
            "Beale",
            beale,
            beale_grad,
            ((-4.5, 4.5), (-4.5, 4.5)),
            (1.0, 1.5),
            ((3.0, 0.5),),
            True,
            "Gradients range over six orders of magnitude: raw step sizes can't suit them all.",
        ),
        Surface(
            "saddle",
            "Saddle between two valleys",
            saddle,
            saddle_grad,
            ((-2.5, 2.5), (-2.5, 2.5)),
            (2.0, 0.01),
            ((0.0, float(np.sqrt(2))), (0.0, -float(np.sqrt(2)))),
            False,
            "Near the saddle the y-gradient is tiny: per-coordinate scaling escapes it faster.",
        ),
        Surface(
            "himmelblau",
            "Himmelblau (four minima)",
            himmelblau,
            himmelblau_grad,
            ((-5.0, 5.0), (-5.0, 5.0)),
            (0.0, -3.0),  # the default racers end in three different minima from here
            _HIMMELBLAU_MIN,
            True,
            "Four equal minima: which one an optimizer reaches depends on its path.",
        ),
        Surface(
            "plateau",
            "Plateau beside a steep wall",
            plateau,
            plateau_grad,
            ((-10.0, 4.0), (-2.0, 2.0)),
            (-8.0, 1.5),
            ((0.0, 0.0),),
            False,
            "x-gradient ~1e-3, y-gradient ~10: only a per-coordinate step crosses the plateau.",
        ),
    ]
}
