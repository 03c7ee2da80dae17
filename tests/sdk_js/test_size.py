"""The snippet's budget: the built f.js, web-vitals included, is at most 6 KB gzipped."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SNIPPET = ROOT / "web" / "static" / "f.js"
BUDGET = 6 * 1024


def test_f_js_is_within_six_kilobytes_gzipped() -> None:
    code = SNIPPET.read_bytes()
    assert len(gzip.compress(code, 9)) <= BUDGET


def test_f_js_is_the_built_capture_with_web_vitals() -> None:
    """Not a placeholder: the wire fields of every capture module and web-vitals' metric names."""
    code = SNIPPET.read_text()
    for marker in ('t:"click"', 't:"scroll"', 't:"move"', 't:"nav"', 't:"vital"', 't:"error"', 't:"res"',
                   't:"form"', 't:"custom"', 't:"pageview"', "sendBeacon", "CompressionStream", "localStorage"):
        assert marker in code, marker
    for metric in ("LCP", "INP", "CLS", "FCP", "TTFB"):
        assert re.search(rf'"{metric}"', code), metric


def test_f_js_adds_no_global_but_footfall() -> None:
    code = SNIPPET.read_text()
    assert code.startswith("(()=>{") and code.rstrip().rstrip(";").endswith("})()")
    assert re.findall(r"window\.(\w+)\s*=", code) == ["footfall"]
