"""Screenshots of the dashboard for docs/dashboard.md: `python -m tools.screenshots [--out DIR]`.

Starts `footfall demo` on a fresh data directory (the demo shop's generated traffic and its real
recorded sessions), logs in as the demo's administrator in Chromium at a laptop's size, and saves
the overview, funnels, heatmaps and player pages as `DIR/dashboard-<name>.png` (docs/img by
default), reduced to 256 colours so the repository stays small. Run it again after changing a
page; a test keeps SHOTS and the images docs/dashboard.md shows the same. A tool for the
repository, not shipped in the package.
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "img"
VIEWPORT = {"width": 1366, "height": 768}
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]
# name -> (the page, with {sid} for the recorded session shown; what shows once the page is complete;
# what to bring into view before the picture, if not the page's top)
SHOTS: dict[str, tuple[str, str, str | None]] = {
    "overview": ("/sites/demo/overview", "#trend", None),
    "funnels": ("/sites/demo/funnels", "#funnel-steps[data-performance=measured]", "#result-title"),
    "heatmaps": ("/sites/demo/heatmaps", "#heatmap[data-state=drawn]", "#heatmap-title"),
    "player": ("/sites/demo/replays/{sid}?t=6", "#play:enabled", None),
}


def image_name(name: str) -> str:
    return f"dashboard-{name}.png"


def longest_recording(server: str, token: str) -> str:
    """The recorded session with the most page views: the player shows a journey, not a glance."""
    url = f"{server}/api/v1/sites/demo/sessions?has_replay=true&sort=pageviews"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as resp:
        return json.loads(resp.read())["sessions"][0]["session_id"]


def small_png(png: bytes) -> bytes:
    """The screenshot in 256 colours: a third of the bytes, and no visible change on flat UI colours."""
    from PIL import Image

    out = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").quantize(256).save(out, "PNG", optimize=True)
    return out.getvalue()


def shoot(browser: Any, server: str, login: tuple[str, str], sid: str, out: Path,
          color_scheme: str = "light") -> list[Path]:
    """Every page of SHOTS, logged in as `login`, saved in `out`."""
    from playwright.sync_api import expect

    out.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=VIEWPORT, color_scheme=color_scheme)
    page = context.new_page()
    page.goto(server + "/login")
    page.get_by_label("Email").fill(login[0])
    page.get_by_label("Password").fill(login[1])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    written = []
    for name, (path, ready, view) in SHOTS.items():
        page.goto(server + path.format(sid=sid))
        if view:  # Chromium runs no animation frame in a frame out of view: the heatmap waits for one
            page.locator(view).evaluate("el => el.scrollIntoView({block: 'start'})")
        expect(page.locator(ready).first).to_be_visible(timeout=60_000)
        page.wait_for_load_state("networkidle")
        target = out / image_name(name)
        target.write_bytes(small_png(page.screenshot()))
        written.append(target)
    context.close()
    return written


def main() -> None:
    from playwright.sync_api import sync_playwright

    from footfall.web.demo import DEMO_EMAIL, DEMO_PASSWORD
    from footfall.web.testing import ServerProcess, cli_json, wait_for_demo

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--sessions", type=int, default=1500, help="demo sessions to seed (footfall demo's default)")
    ns = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="footfall-screenshots-") as folder:
        data = Path(folder) / "data"
        server = ServerProcess(data, {"FOOTFALL_RATE_LIMIT": "0"}, command="demo",
                               extra=("--sessions", str(ns.sessions)))
        try:
            token = cli_json(data, "token", "create", "screenshots", "--scope", "admin")["token"]
            wait_for_demo(server, token)
            sid = longest_recording(server.url, token)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
                for path in shoot(browser, server.url, (DEMO_EMAIL, DEMO_PASSWORD), sid, ns.out):
                    print(f"{path}: {path.stat().st_size:,} bytes")
                browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
