"""The heat image: the separable blur against a plain two-dimensional convolution, the colour
ramp's ends, and the PNG's size."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from footfall.analysis import heatmap_image as image


def plain_blur(grid: np.ndarray, sigma: float) -> np.ndarray:
    """The definition: every output cell is the sum of the grid weighted by a 2-D Gaussian around it."""
    weights = image.kernel(sigma)
    radius = len(weights) // 2
    kernel2d = np.outer(weights, weights)
    out = np.zeros_like(grid, dtype=float)
    rows, cols = grid.shape
    for r in range(rows):
        for c in range(cols):
            total = 0.0
            for dr in range(-radius, radius + 1):
                for dc in range(-radius, radius + 1):
                    rr, cc = r + dr, c + dc
                    if 0 <= rr < rows and 0 <= cc < cols:
                        total += kernel2d[dr + radius, dc + radius] * grid[rr, cc]
            out[r, c] = total
    return out


def test_blur_matches_a_plain_convolution_on_random_grids() -> None:
    rng = np.random.default_rng(11)
    for shape, sigma in (((17, 23), 2.0), ((9, 40), 1.0), ((30, 5), 3.5)):
        grid = rng.poisson(0.3, shape).astype(float)
        assert np.allclose(image.blur(grid, sigma), plain_blur(grid, sigma))


def test_blur_keeps_the_heat_away_from_edges() -> None:
    grid = np.zeros((40, 40))
    grid[20, 20] = 5
    blurred = image.blur(grid)
    assert np.isclose(blurred.sum(), 5) and np.unravel_index(blurred.argmax(), blurred.shape) == (20, 20)


def test_grid_of_adds_counts_and_drops_cells_outside() -> None:
    cells = np.array([[0, 0, 2], [0, 0, 3], [4, 1, 1], [9, 9, 7], [-1, 0, 1]])
    grid = image.grid_of(cells, 5, 2)
    assert grid[0, 0] == 5 and grid[1, 4] == 1 and grid.sum() == 6


def test_colour_is_transparent_where_cold_and_red_where_hottest() -> None:
    heat = np.array([[0.0, 0.5, 2.0]])
    rgba = image.colour(heat)
    assert rgba[0, 0, 3] == 0
    assert tuple(rgba[0, 2]) == (255, 0, 0, 240)
    assert 0 < rgba[0, 1, 3] < 240


def test_heat_png_is_one_pixel_per_cell() -> None:
    data = image.heat_png(np.array([[3, 2, 10]]), 8, 6)
    with Image.open(io.BytesIO(data)) as png:
        assert png.size == (8, 6) and png.mode == "RGBA"
        assert png.getpixel((3, 2))[:3] == (255, 0, 0)
    with Image.open(io.BytesIO(image.band_png([1.0, 0.5, 0.0], width=4))) as band:
        assert band.size == (4, 3) and band.getpixel((0, 2))[3] == 0 and band.getpixel((0, 0))[:3] == (255, 0, 0)
