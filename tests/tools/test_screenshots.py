"""The screenshots script (tools/screenshots.py): its pages are the images docs/dashboard.md shows,
and, in Chromium on the demo, it writes each of them at the laptop size it promises."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser

from tests.conftest import ROOT, Demo
from tools import screenshots

SHOWN = re.findall(r"\]\((img/dashboard-[a-z]+\.png)\)", (ROOT / "docs" / "dashboard.md").read_text())


def test_the_script_makes_every_image_the_docs_show_and_no_other() -> None:
    made = [f"img/{screenshots.image_name(name)}" for name in screenshots.SHOTS]
    assert made == SHOWN
    for image in SHOWN:
        path = ROOT / "docs" / image
        assert path.stat().st_size < 200_000, image  # kept small: 256 colours
        with Image.open(path) as image:
            assert image.size == (screenshots.VIEWPORT["width"], screenshots.VIEWPORT["height"])


@pytest.mark.browser
def test_the_script_pictures_each_page_of_the_demo(browser: Browser, demo: Demo, tmp_path: Path) -> None:
    sid = screenshots.longest_recording(demo.server.url, demo.token)
    written = screenshots.shoot(browser, demo.server.url, demo.admin, sid, tmp_path)
    assert [p.name for p in written] == [Path(image).name for image in SHOWN]
    for path in written:
        image = Image.open(io.BytesIO(path.read_bytes()))
        assert image.size == (1366, 768) and image.mode == "P"  # the laptop's viewport, in a palette
        assert len(image.getcolors(256) or []) > 16, path.name  # a page, not a blank
