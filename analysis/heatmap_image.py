"""Heat drawn from counted cells: a grid of counts, blurred so nearby clicks read as one warm
spot, coloured on a ramp from transparent blue to opaque red, and encoded as a PNG.

The grid has one value per cell (`cell` page pixels square, binned by the store); the PNG keeps
that resolution, one pixel per cell, and the viewer stretches it over the page. A 1280 x 5000 px
page at 8 px cells is a 160 x 625 image: small to blur, encode and send.
"""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image

SIGMA_CELLS = 2.0  # the blur's standard deviation, in cells: 16 px at 8 px cells, about a fingertip

# Colour stops (heat 0..1 -> RGBA): cold spots faint and blue, hot spots opaque and red.
STOPS = np.array([0.0, 0.15, 0.35, 0.55, 0.75, 1.0])
RGBA = np.array([
    [0, 0, 255, 0],
    [0, 64, 255, 110],
    [0, 200, 255, 150],
    [0, 230, 80, 180],
    [255, 230, 0, 210],
    [255, 0, 0, 240],
], dtype=float)


def grid_of(cells: np.ndarray, width: int, height: int) -> np.ndarray:
    """A height x width grid of counts from rows of (column, row, count); cells outside are dropped."""
    grid = np.zeros((height, width), dtype=np.float64)
    if len(cells):
        cols, rows, counts = cells[:, 0].astype(np.int64), cells[:, 1].astype(np.int64), cells[:, 2]
        inside = (cols >= 0) & (cols < width) & (rows >= 0) & (rows < height)
        np.add.at(grid, (rows[inside], cols[inside]), counts[inside])
    return grid


def kernel(sigma: float) -> np.ndarray:
    """A normalised 1-D Gaussian reaching three standard deviations each side."""
    radius = max(1, math.ceil(3 * sigma))
    offsets = np.arange(-radius, radius + 1, dtype=np.float64)
    weights = np.exp(-(offsets**2) / (2 * sigma * sigma))
    return weights / weights.sum()


def blur(grid: np.ndarray, sigma: float = SIGMA_CELLS) -> np.ndarray:
    """A Gaussian blur with zeros beyond the edges, done as two 1-D passes: each pass adds
    shifted copies of the padded grid, so the cost is the kernel's length in whole-array adds."""
    weights = kernel(sigma)
    radius = len(weights) // 2
    out = grid.astype(np.float64)
    for axis in (0, 1):
        padding = [(0, 0), (0, 0)]
        padding[axis] = (radius, radius)
        padded = np.pad(out, padding)
        length = out.shape[axis]
        passed = np.zeros_like(out)
        for i, w in enumerate(weights):
            passed += w * (padded[i:i + length, :] if axis == 0 else padded[:, i:i + length])
        out = passed
    return out


def colour(heat: np.ndarray, top: float | None = None) -> np.ndarray:
    """RGBA bytes for heat scaled to 0..1 (the hottest cell, or `top` when a map is drawn in
    layers that share a scale, is 1); zero heat is fully transparent."""
    if top is None:
        top = float(heat.max()) if heat.size else 0.0
    scaled = np.minimum(heat / top, 1.0) if top > 0 else heat
    rgba = np.empty((*scaled.shape, 4), dtype=np.uint8)
    for c in range(4):  # a channel at a time: the largest grid in float64 RGBA would take 80 MB more
        rgba[..., c] = np.interp(scaled, STOPS, RGBA[:, c]).round()
    rgba[scaled <= 0.01, 3] = 0
    return rgba


def png(rgba: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()


def heat_png(cells: np.ndarray, width: int, height: int, sigma: float = SIGMA_CELLS,
             top: float | None = None) -> bytes:
    """The finished map: count, blur, colour, encode."""
    return png(colour(blur(grid_of(cells, width, height), sigma), top))


def hottest(cells: np.ndarray, width: int, height: int, sigma: float = SIGMA_CELLS) -> float:
    """The blurred heat of the hottest cell: the shared scale of a map drawn in layers."""
    return float(blur(grid_of(cells, width, height), sigma).max()) if len(cells) else 0.0


def band_png(reach: list[float], width: int = 8) -> bytes:
    """The scroll map as an image one row per depth percent: the share of page views that reached
    that depth, coloured as heat (everyone saw it: red; nobody: transparent)."""
    shares = np.clip(np.asarray(reach, dtype=np.float64), 0.0, 1.0)
    rgba = np.stack([np.interp(shares, STOPS, RGBA[:, c]) for c in range(4)], axis=-1)
    rgba[shares <= 0, 3] = 0
    return png(np.repeat(rgba.round().astype(np.uint8)[:, None, :], width, axis=1))
