"""Load generation for bench.ingest: realistic batches, wrk + Lua, and a Python fallback client.

The batch is built once in Python as a JSON template whose per-request fields (batch id, session
id, page view id, timestamps) are placeholders; wrk's Lua and the Python client fill them in, so
both send byte-for-byte the same shape.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import resource
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .phases import PhaseResult, latency_summary

ORIGIN = "http://shop.test"
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
BATCH_PATH = "/i/v1/batch"
NOOP_PATH = "/healthz"
MOVE_POINTS = 8

# Placeholders replaced per request. They are plain words so json.dumps leaves them intact.
SLOTS = ("@ID@", "@SID@", "@PV@", "@TS@", "@SENT@")
_SLOT_RE = re.compile("(" + "|".join(re.escape(s) for s in SLOTS) + ")")
# The event mix of one batch: 25 events, as a page view with interactions would send them.
MIX = {"pageview": 1, "click": 6, "move": 6, "scroll": 6, "nav": 1, "vital": 3, "error": 2}
EVENTS_PER_BATCH = sum(MIX.values())
# The invalid batch swaps its last scroll for this form event, last in the batch: what the
# snippet once sent for an autofocused field (refocus -1), so 24 events are stored.
INVALID_FIELD = "refocus"


def invalid_event(ts: Any) -> dict[str, Any]:
    return {"t": "form", "ts": ts, "s": "#new-todo", "first": 12, "time": 800, "changes": 3,
            "refocus": -1}


def rows_per_batch(custom: int = 0, invalid: bool = False) -> dict[str, int]:
    """Stored rows per API count type for one batch (a move event is one row holding its points)."""
    rows = dict(MIX)
    if invalid:
        rows["scroll"] -= 1
        rows["form"] = 0
    if custom:
        rows["custom"] = custom
    return rows


def accept_marker(invalid: bool = False) -> str:
    """What a 202 body for a whole batch starts with (the response keeps this key order)."""
    if invalid:
        return f'"accepted":{EVENTS_PER_BATCH - 1},"invalid":1,'
    return f'"accepted":{EVENTS_PER_BATCH}'


def events(ts: Any, marker: str | None = None, invalid: bool = False) -> list[dict[str, Any]]:
    """The 25 events of a batch; `ts` may be a placeholder string, patched to a number later."""
    out: list[dict[str, Any]] = [{"t": "pageview", "ts": ts, "title": "Running shoes - Shop"}]
    for i in range(MIX["click"]):
        out.append({
            "t": "click", "ts": ts, "s": f"main > ul.products > li:nth-child({i + 1}) > a.buy",
            "x": 120 + 37 * i, "y": 640 + 55 * i, "rx": 0.31, "ry": 0.62, "vw": 1280,
            "text": "Add to cart", "dead": i == 4, "rage": False,
        })
    for i in range(MIX["move"]):
        points = [[100 + 20 * i + 7 * j, 300 + 11 * j] for j in range(MOVE_POINTS)]
        out.append({"t": "move", "ts": ts, "p": points})
    for i in range(MIX["scroll"]):
        out.append({"t": "scroll", "ts": ts, "d": 400 * (i + 1), "pct": round((i + 1) / 6, 3),
                    "h": 2400})
    out.append({
        "t": "nav", "ts": ts, "redirect": 0, "dns": 12.5, "connect": 20.1, "tls": 18.0,
        "req": 85.3, "res": 14.2, "dom": 410.8, "load": 820.4, "total": 960.0, "size": 48213,
    })
    for name, value, rating in (("LCP", 1830.5, "good"), ("CLS", 0.04, "good"),
                                ("INP", 240.0, "needs-improvement")):
        out.append({"t": "vital", "ts": ts, "n": name, "v": value, "r": rating,
                    "target": "main img.hero",
                    "a": {"element": "img.hero", "loadState": "complete"}})
    for i in range(MIX["error"]):
        out.append({
            "t": "error", "ts": ts, "msg": f"TypeError: Cannot read properties of undefined "
            f"(reading 'price{i}')", "src": "http://shop.test/static/app.4f2c1.js",
            "stack": "TypeError: Cannot read properties of undefined\n"
                     "    at renderCart (http://shop.test/static/app.4f2c1.js:1:20931)\n"
                     "    at HTMLButtonElement.onclick (http://shop.test/static/app.4f2c1.js:1:441)",
            "line": 1, "col": 20931, "kind": "error",
        })
    if invalid:
        out.remove(next(e for e in reversed(out) if e["t"] == "scroll"))
        out.append(invalid_event(ts))
    if marker:
        out.append({"t": "custom", "ts": ts, "n": marker, "p": {"bench": True}})
    return out


def batch(site: str, batch_id: str, sid: str, pv: str, ts: Any, sent: Any,
          marker: str | None = None, invalid: bool = False) -> dict[str, Any]:
    return {
        "v": 1, "site": site, "sid": sid, "pv": pv, "id": batch_id, "sent": sent,
        "url": "http://shop.test/products/running-shoes?utm_source=news&ref=abc",
        "ref": "https://www.google.com/", "vw": 1280, "vh": 720, "sw": 1920, "sh": 1080,
        "utm": {"source": "newsletter", "medium": "email", "campaign": "spring"},
        "e": events(ts, marker, invalid),
    }


def template(site: str, invalid: bool = False) -> tuple[list[str], list[str]]:
    """The batch JSON split at its placeholders: body = parts[0] + v(slots[0]) + parts[1] + ..."""
    text = json.dumps(batch(site, "@ID@", "@SID@", "@PV@", "@TS@", "@SENT@", invalid=invalid),
                      separators=(",", ":"))
    # Timestamps are numbers: drop the quotes json.dumps put around their placeholders.
    text = text.replace('"@TS@"', "@TS@").replace('"@SENT@"', "@SENT@")
    pieces = _SLOT_RE.split(text)
    return pieces[0::2], pieces[1::2]


def fill(parts: Sequence[str], slots: Sequence[str], values: dict[str, str]) -> bytes:
    out = [parts[0]]
    for slot, part in zip(slots, parts[1:], strict=True):
        out.append(values[slot])
        out.append(part)
    return "".join(out).encode()


def body_for(site: str, key: str, now_ms: int | None = None, marker: str | None = None,
             invalid: bool = False) -> bytes:
    """One batch with unique ids derived from `key` (letters, digits, '-' and '_')."""
    ts = int(time.time() * 1000) if now_ms is None else now_ms
    data = batch(site, f"b-{key}", f"s-{key}", f"p-{key}", ts, ts, marker, invalid)
    return json.dumps(data, separators=(",", ":")).encode()


def batch_headers(content_length: int | None = None) -> dict[str, str]:
    headers = {"Content-Type": "text/plain;charset=UTF-8", "Origin": ORIGIN,
               "User-Agent": USER_AGENT}
    if content_length is not None:
        headers["Content-Length"] = str(content_length)
    return headers


# -- wrk ------------------------------------------------------------------------------------

def _lua_string(text: str) -> str:
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    eq = "=" * level
    return f"[{eq}[{text}]{eq}]"


LUA_COMMON = r"""
local threads = {}
local next_id = 0
function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  table.insert(threads, thread)
end

ok, non_ok, dropped = 0, 0, 0
codes = ""
local code_counts = {}

function response(status, headers, body)
  if status == EXPECT and (ACCEPT == nil or string.find(body, ACCEPT, 1, true)) then
    ok = ok + 1
  else
    non_ok = non_ok + 1
    code_counts[status] = (code_counts[status] or 0) + 1
    local parts = {}
    for k, v in pairs(code_counts) do table.insert(parts, k .. ":" .. v) end
    codes = table.concat(parts, ",")
  end
end

function done(summary, latency, requests)
  local t_ok, t_non, all_codes = 0, 0, {}
  for _, thread in ipairs(threads) do
    t_ok = t_ok + thread:get("ok")
    t_non = t_non + thread:get("non_ok")
    local c = thread:get("codes")
    if c ~= "" then table.insert(all_codes, c) end
  end
  local hist = {}
  for i = 1, #latency do
    local us, n = latency(i)
    hist[#hist + 1] = us .. ":" .. n
  end
  local e = summary.errors
  local f = io.open(RESULT_FILE, "w")
  f:write(string.format(
    '{"requests":%d,"duration_us":%d,"ok":%d,"non_ok":%d,"codes":"%s",' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f},"hist":"%s"}',
    summary.requests, summary.duration, t_ok, t_non, table.concat(all_codes, ","),
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, table.concat(hist, ",")))
  f:close()
end
"""


def noop_lua(result_file: str) -> str:
    return f"""
EXPECT = 200
ACCEPT = nil
RESULT_FILE = {_lua_string(result_file)}
local req
function init(args)
  req = wrk.format("GET", "{NOOP_PATH}", {{["User-Agent"] = {_lua_string(USER_AGENT)},
                                          ["Origin"] = "{ORIGIN}"}})
end
function request() return req end
""" + LUA_COMMON


def batch_lua(result_file: str, site: str, run_id: str, path: str = BATCH_PATH,
              expect: int = 202, accept: bool = True, invalid: bool = False) -> str:
    """Batches with unique ids; path/expect/accept=False turn it into a POST no-op (405);
    invalid: each batch carries one invalid event in 25, and OK means 24 accepted, 1 invalid."""
    parts, slots = template(site, invalid)
    lua_parts = ",\n".join(_lua_string(p) for p in parts)
    lua_slots = ", ".join(f'"{s}"' for s in slots)
    headers = ", ".join(f'["{k}"] = {_lua_string(v)}' for k, v in batch_headers().items())
    lua_accept = _lua_string(accept_marker(invalid)) if accept else "nil"
    return f"""
EXPECT = {expect}
ACCEPT = {lua_accept}
RESULT_FILE = {_lua_string(result_file)}
local parts = {{{lua_parts}}}
local slots = {{{lua_slots}}}
local headers = {{{headers}}}
local prefix
local counter = 0
function init(args)
  prefix = "{run_id}-" .. tid .. "-"
end
function request()
  counter = counter + 1
  local key = prefix .. counter
  local ts = string.format("%d", os.time() * 1000)
  local values = {{["@ID@"] = "b-" .. key, ["@SID@"] = "s-" .. key, ["@PV@"] = "p-" .. key,
                  ["@TS@"] = ts, ["@SENT@"] = ts}}
  local out = {{parts[1]}}
  for i, slot in ipairs(slots) do
    out[#out + 1] = values[slot]
    out[#out + 1] = parts[i + 1]
  end
  return wrk.format("POST", "{path}", headers, table.concat(out))
end
""" + LUA_COMMON


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wrk_path() -> str | None:
    return shutil.which("wrk") or (os.path.exists("/usr/bin/wrk") and "/usr/bin/wrk") or None


def run_wrk(name: str, base_url: str, lua: str, result_file: Path, duration: float,
            connections: int, threads: int, events_per_request: int, path: str) -> PhaseResult:
    """Run wrk with a Lua script whose done() writes a JSON summary to result_file."""
    wrk = wrk_path()
    if wrk is None:
        raise RuntimeError("wrk not found; use --client python")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(lua)
        script = fh.name
    result_file.unlink(missing_ok=True)
    cmd = [wrk, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s",
           "--timeout", "10s", "-s", script, base_url]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    finally:
        os.unlink(script)
    if out.returncode != 0 or not result_file.exists():
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr.strip() or out.stdout}")
    raw = json.loads(result_file.read_text())
    codes: dict[str, int] = {}
    for item in filter(None, raw["codes"].split(",")):
        code, _, n = item.partition(":")
        codes[code] = codes.get(code, 0) + int(n)
    lat = raw["latency_us"]
    hist: dict[int, int] = {}
    for item in filter(None, raw.get("hist", "").split(",")):
        us, _, n = item.partition(":")
        hist[int(us)] = hist.get(int(us), 0) + int(n)
    return PhaseResult(
        name=name, path=path, duration_s=raw["duration_us"] / 1e6, connections=connections,
        requests=raw["requests"], ok=raw["ok"], non_ok=raw["non_ok"], status_counts=codes,
        socket_errors=raw["errors"],
        latency_ms={k: round(v / 1000, 3) for k, v in lat.items()},
        events_per_request=events_per_request, client=f"wrk -t{threads}",
        latency_hist_us=hist,
    )


# -- the Python fallback client -------------------------------------------------------------

async def _python_worker(host: str, port: int, build: Any, expect: int, accept: bytes | None,
                         deadline: float, latencies: list[float], tally: dict[str, int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.monotonic() < deadline:
            request = build()
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            body = await reader.readexactly(length) if length else b""
            latencies.append((time.perf_counter() - start) * 1000)
            if status == expect and (accept is None or accept in body):
                tally["ok"] += 1
            else:
                tally["non_ok"] += 1
                tally[str(status)] = tally.get(str(status), 0) + 1
    except (OSError, asyncio.IncompleteReadError, ValueError):
        tally["errors"] += 1
    finally:
        writer.close()


def run_python(name: str, host: str, port: int, site: str | None, run_id: str, duration: float,
               connections: int, path: str, invalid: bool = False) -> PhaseResult:
    """asyncio keep-alive client in this process: simple, but it competes for the same CPUs."""
    parts, slots = template(site or "x", invalid)
    counter = iter(range(1, 1 << 62))
    if site is None:
        fixed = (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {USER_AGENT}\r\n"
                 f"Origin: {ORIGIN}\r\n\r\n").encode()

        def build() -> bytes:
            return fixed
        expect, accept, per = 200, None, 0
    else:
        def build() -> bytes:
            key = f"{run_id}-p-{next(counter)}"
            ts = str(int(time.time()) * 1000)
            body = fill(parts, slots, {"@ID@": f"b-{key}", "@SID@": f"s-{key}",
                                       "@PV@": f"p-{key}", "@TS@": ts, "@SENT@": ts})
            head = f"POST {path} HTTP/1.1\r\nHost: {host}\r\n" + "".join(
                f"{k}: {v}\r\n" for k, v in batch_headers(len(body)).items())
            return head.encode() + b"\r\n" + body
        expect, accept, per = 202, accept_marker(invalid).encode(), EVENTS_PER_BATCH

    latencies: list[float] = []
    tally = {"ok": 0, "non_ok": 0, "errors": 0}

    async def main() -> float:
        start = time.monotonic()
        await asyncio.gather(*(
            _python_worker(host, port, build, expect, accept, start + duration, latencies, tally)
            for _ in range(connections)))
        return time.monotonic() - start

    elapsed = asyncio.run(main())
    codes = {k: v for k, v in tally.items() if k not in ("ok", "non_ok", "errors")}
    return PhaseResult(
        name=name, path=path, duration_s=elapsed, connections=connections,
        requests=len(latencies), ok=tally["ok"], non_ok=tally["non_ok"], status_counts=codes,
        socket_errors={"connect_or_read": tally["errors"]}, latency_ms=latency_summary(latencies),
        events_per_request=per, client="python asyncio (in the bench process)",
        latency_hist_us=to_hist_us(latencies),
    )


def to_hist_us(latencies_ms: Sequence[float]) -> dict[int, int]:
    hist: dict[int, int] = {}
    for ms in latencies_ms:
        us = round(ms * 1000)
        hist[us] = hist.get(us, 0) + 1
    return hist
