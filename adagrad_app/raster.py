"""The contour of a surface as one PNG background image (shared by the trajectories and
formula charts): plotly drops contour traces during playback, an image stays."""

from __future__ import annotations

import base64
import struct
import zlib

import numpy as np
import plotly.colors

from adagrad_core.racers import GAP_FLOOR
from adagrad_core.surfaces import Surface

GRID = 90  # contour resolution per axis
RASTER = 360  # pixels per axis of the animated chart's background (its contour bands)
LEVELS = 24  # contour bands
SHADES = (0.04, 0.55)  # the part of plotly's "Greys" scale the bands use: light, so paths show


def surface_grid(surface: Surface, n: int = GRID) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs, ys, z) of the surface on an n x n grid; z is log10(f - f_min) if log_levels."""
    (x0, x1), (y0, y1) = surface.bounds
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    X, Y = np.meshgrid(xs, ys)
    z = surface.value(np.stack([X, Y], axis=-1))
    if surface.log_levels:
        z = np.log10(np.maximum(z - surface.f_min, GAP_FLOOR) + 1e-3)
    return xs, ys, z


def _png(rgb: np.ndarray) -> str:
    """A data: URI of an RGB uint8 image (h, w, 3): a minimal PNG, no image library needed."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[i].tobytes() for i in range(h))

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    return "data:image/png;base64," + base64.b64encode(png).decode()


def background_image(pixels: np.ndarray, bounds) -> dict:
    """An ``(n, m, 3)`` uint8 image (rows from the top down) as a layout image stretched over
    ``bounds = ((x0, x1), (y0, y1))`` in data coordinates, drawn below the traces."""
    (x0, x1), (y0, y1) = bounds
    return {
        "source": _png(pixels),
        "xref": "x",
        "yref": "y",
        "x": x0,
        "y": y1,
        "sizex": x1 - x0,
        "sizey": y1 - y0,
        "sizing": "stretch",
        "layer": "below",
        "name": "contour",
    }


def contour_bands(surface: Surface, n: int = RASTER, levels: int = LEVELS) -> np.ndarray:
    """Band index (0 = lowest) of each pixel, rows from the top of the plot down; -1 where f
    is not finite (a typed surface outside its domain, e.g. log(x) for x < 0)."""
    _, _, z = surface_grid(surface, n)
    finite = np.isfinite(z)
    if not finite.any():
        return np.full(z.shape, -1)
    lo, hi = float(z[finite].min()), float(z[finite].max())
    with np.errstate(invalid="ignore"):
        bands = np.floor((z - lo) / ((hi - lo) or 1.0) * levels).clip(0, levels - 1)
    return np.where(finite, bands, -1).astype(int)[::-1]


def contour_image(surface: Surface, n: int = RASTER, levels: int = LEVELS) -> dict:
    """The filled contour as a layout image (plotly drops contour traces when it animates).

    Cached per surface (a PNG takes ~40 ms to draw and compress): read-only."""
    bands = contour_bands(surface, n, levels)
    shades = plotly.colors.sample_colorscale("Greys", list(np.linspace(*SHADES, levels)))
    palette = np.array([plotly.colors.unlabel_rgb(c) for c in shades], dtype=float)
    palette = np.vstack([palette, [255.0, 255.0, 255.0]])  # band -1 (f undefined): white
    rgb = palette[bands]
    edge = np.zeros(bands.shape, dtype=bool)  # a darker pixel where the band changes: the line
    edge[:, 1:] |= bands[:, 1:] != bands[:, :-1]
    edge[1:, :] |= bands[1:, :] != bands[:-1, :]
    rgb[edge] *= 0.8
    return background_image(rgb.round().astype(np.uint8), surface.bounds)


def greys(n: int = 9) -> list[list]:
    """The light part of plotly's "Greys" scale (low values lightest), as in the raster, as the
    [[fraction, colour], ...] pairs plotly.js reads."""
    colors = plotly.colors.sample_colorscale("Greys", list(np.linspace(*SHADES, n)))
    return [[i / (n - 1), c] for i, c in enumerate(colors)]
