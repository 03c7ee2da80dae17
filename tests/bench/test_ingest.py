"""The benchmark's own arithmetic and report writing, on tiny made-up input (no timing)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import msgspec
import pytest

from bench import dead_letter, ingest, loadgen, phases, validation
from footfall.collector import frames, wire
from footfall.collector.decode import decode_batch
from footfall.collector.pipeline import Outcome
from footfall.collector.spool import Spool


def test_percentile_nearest_rank() -> None:
    values = [5.0, 1.0, 3.0, 2.0, 4.0]
    assert phases.percentile(values, 50) == 3.0
    assert phases.percentile(values, 99) == 5.0
    assert phases.percentile(values, 0) == 1.0
    assert phases.percentile([7.0], 99) == 7.0
    assert math.isnan(phases.percentile([], 50))
    ten = [float(i) for i in range(1, 11)]
    assert phases.percentile(ten, 90) == 9.0
    assert phases.percentile(ten, 91) == 10.0


def test_latency_summary() -> None:
    summary = phases.latency_summary([1.0, 2.0, 3.0, 4.0])
    assert summary == {"p50": 2.0, "p90": 4.0, "p99": 4.0, "max": 4.0, "mean": 2.5}
    assert math.isnan(phases.latency_summary([])["p50"])


def test_histogram_percentiles_match_the_list_version() -> None:
    values = [1.0, 1.0, 2.0, 3.0, 3.0, 3.0, 10.0]
    hist = {1: 2, 2: 1, 3: 3, 10: 1}
    for pct in (1, 30, 50, 90, 99, 100):
        assert phases.hist_percentile(hist, pct) == phases.percentile(values, pct)
    assert math.isnan(phases.hist_percentile({}, 50))
    assert phases.hist_summary_ms({1000: 3, 4000: 1}) == {
        "p50": 1.0, "p90": 4.0, "p99": 4.0, "max": 4.0, "mean": 1.75}
    assert loadgen.to_hist_us([1.0, 1.0004, 2.5]) == {1000: 2, 2500: 1}


def test_merge_adds_counts_and_merges_latencies() -> None:
    def run(ok: int, duration: float, hist: dict[int, int], cores: float) -> phases.PhaseResult:
        return phases.PhaseResult(
            name="noop", path="/healthz", duration_s=duration, connections=4, requests=ok,
            ok=ok, non_ok=0, status_counts={}, socket_errors={"timeout": 1},
            latency_ms=phases.hist_summary_ms(hist), cpu={"server_cores": cores},
            latency_hist_us=hist)

    merged = phases.merge("noop", [run(100, 1.0, {1000: 99, 9000: 1}, 1.0),
                                    run(300, 3.0, {2000: 300}, 0.6)])
    assert merged.ok == 400 and merged.duration_s == 4.0 and merged.rps == 100.0
    assert merged.latency_ms["p50"] == 2.0 and merged.latency_ms["max"] == 9.0
    assert merged.socket_errors == {"timeout": 2}
    assert merged.cpu == {"server_cores": 0.7}
    assert [p["rps"] for p in merged.parts] == [100.0, 100.0]
    assert "latency_hist_us" not in merged.to_json()


def test_template_fills_to_a_valid_batch() -> None:
    parts, slots = loadgen.template("bench")
    body = loadgen.fill(parts, slots, {"@ID@": "b-1", "@SID@": "s-1", "@PV@": "p-1",
                                       "@TS@": "1700000000000", "@SENT@": "1700000000000"})
    batch = wire.batch_decoder.decode(body)
    assert (batch.batch_id, batch.session_id, batch.pageview_id) == ("b-1", "s-1", "p-1")
    assert len(batch.events) == loadgen.EVENTS_PER_BATCH == 25
    kinds = [type(e).__name__ for e in batch.events]
    assert kinds.count("PageView") == 1 and "JsError" in kinds and "MoveSamples" in kinds


def test_marked_body_and_rows_per_batch() -> None:
    batch = wire.batch_decoder.decode(loadgen.body_for("bench", "k1", marker="probe-1"))
    assert len(batch.events) == loadgen.EVENTS_PER_BATCH + 1
    assert isinstance(batch.events[-1], wire.Custom) and batch.events[-1].name == "probe-1"
    rows = loadgen.rows_per_batch()
    assert rows["pageview"] == 1 and rows["move"] == loadgen.MIX["move"]
    assert "custom" not in rows


def test_lua_scripts_embed_the_template() -> None:
    lua = loadgen.batch_lua("/tmp/out.json", "bench", "r1")
    assert "function request()" in lua and '"accepted":25' in lua and "RESULT_FILE" in lua
    assert "function done(" in loadgen.noop_lua("/tmp/out.json")
    invalid = loadgen.batch_lua("/tmp/out.json", "invalid", "r1", invalid=True)
    assert '"accepted":24,"invalid":1,' in invalid and '"refocus":-1' in invalid


def test_the_invalid_batch_has_one_invalid_event_in_25_and_its_answer_is_recognised() -> None:
    parts, slots = loadgen.template("invalid", invalid=True)
    body = loadgen.fill(parts, slots, {"@ID@": "b-1", "@SID@": "s-1", "@PV@": "p-1",
                                       "@TS@": "1700000000000", "@SENT@": "1700000000000"})
    assert len(msgspec.json.decode(body)["e"]) == loadgen.EVENTS_PER_BATCH
    batch, invalid = decode_batch(body)
    assert len(batch.events) == loadgen.EVENTS_PER_BATCH - 1
    assert [(e.field, e.reason) for e in invalid] == [("$.e[24].refocus", "form.refocus")]
    answer = msgspec.json.encode(Outcome(accepted=len(batch.events), invalid=invalid).body())
    assert answer.startswith(b"{" + loadgen.accept_marker(invalid=True).encode())
    valid = msgspec.json.encode(Outcome(accepted=loadgen.EVENTS_PER_BATCH).body())
    assert loadgen.accept_marker().encode() in valid
    assert loadgen.accept_marker().encode() not in answer
    rows = loadgen.rows_per_batch(invalid=True)
    assert rows["scroll"] == loadgen.MIX["scroll"] - 1 and rows["form"] == 0
    assert sum(rows.values()) == loadgen.EVENTS_PER_BATCH - 1


def test_dead_letter_segments_are_ones_the_store_cannot_take(tmp_path: Path) -> None:
    paths = dead_letter.put_segments(tmp_path, 1_765_000_000_000)
    assert [p.name for p in paths] == sorted(p.name for p in tmp_path.glob("*.seg"))
    assert not list(tmp_path.glob("*.tmp"))
    wide, unknown = (Spool.read(p) for p in paths)
    (key,) = frames.keys(wide)
    assert (key.site, key.srv_received) == ("bench", 1_765_000_000_000)
    months = {ts // dead_letter.MONTH_MS for ts in
              (e["ts"] for e in msgspec.json.decode(wide[0][1:])["e"])}
    assert len(months) == dead_letter.MONTHS > 100  # ClickHouse refuses over 100 per insert
    assert set(frames.blocks(wide)) == {"inbox_batches"}
    with pytest.raises(frames.BadFrame):
        frames.blocks(unknown)


def test_validation_steps_and_cpu_per_batch() -> None:
    steps = validation.step_costs(rounds=1, number=2)
    assert set(steps["us_per_batch"]) == {"decode, valid", "decode, 1 invalid in 25",
                                         "event time window (valid)", "byte budget",
                                         "session bookkeeping", "URL cleaning"}
    assert steps["decode_invalid_to_valid"] > 0
    ph = phases.PhaseResult(
        name="valid", path="/i/v1/batch", duration_s=2.0, connections=4, requests=8000,
        ok=8000, non_ok=0, status_counts={}, socket_errors={}, latency_ms={},
        cpu={"server_cores": 1.6, "event_loop_cores": 0.6})
    assert validation.per_batch_us(ph, "server_cores") == 400.0
    assert validation.per_batch_us(ph, "event_loop_cores") == 150.0
    assert validation.per_batch_us(ph, "missing") is None
    out: dict[str, Any] = {"valid": {"rps": 4000.0}, "invalid": {"rps": 3000.0}}
    validation.complete_with(out, 10_000.0)
    assert (out["valid_to_noop"], out["invalid_to_noop"]) == (0.4, 0.3)


def phase(name: str, path: str, ok: int, per: int) -> dict[str, Any]:
    result = phases.PhaseResult(
        name=name, path=path, duration_s=2.0, connections=4, requests=ok + 1, ok=ok, non_ok=1,
        status_counts={"503": 1}, socket_errors={"timeout": 0},
        latency_ms={"p50": 1.0, "p90": 2.0, "p99": 3.0, "max": 4.0, "mean": 1.5},
        events_per_request=per, cpu={"server_cores": 0.9, "child_client_cores": 0.2},
    )
    return result.to_json()


def fake_checks() -> dict[str, Any]:
    valid, invalid = phase("valid", "/i/v1/batch", 560, 25), phase("invalid", "/i/v1/batch", 450, 25)
    kept = {"ok": True, "stored_batches": 280, "accepted_batches_counted": 280,
            "allowed_extra_batches": 8}
    return {"order": ["valid", "invalid", "invalid", "valid"],
            "valid": {**valid, "server_us_per_batch": 321.4, "event_loop_us_per_batch": 107.1},
            "invalid": {**invalid, "server_us_per_batch": 400.0, "event_loop_us_per_batch": 133.3},
            "invalid_to_valid": 0.804, "noop_rps": 500.0, "valid_to_noop": 0.56,
            "invalid_to_noop": 0.45, "valid_stored": kept, "invalid_stored": dict(kept)}


def fake_late(queryable: float | None = 1.5, landed: bool = True) -> dict[str, Any]:
    names = ["00000000000000000001-too-wide.seg", "00000000000000000002-unknown-kind.seg"]
    return {"segments": names, "baseline_s": 1.1, "queryable_s": queryable,
            "dead_lettered_after_s": dict.fromkeys(names, 0.9) if landed else {},
            "in_dead_letter": landed, "left_in_spool": [] if landed else names,
            "writer_counters": {"writer.dead_lettered": 2, "writer.failed.permanent": 4}}


def fake_run(opts: ingest.Options, label: str, env: dict[str, str]) -> dict[str, Any]:
    noop, batch = phase("noop", "/healthz", 1000, 0), phase("batch", "/i/v1/batch", 600, 25)
    probes = [{"when": "under load", "ack_ms": 3.0, "queryable_s": 1.2, "polls": 20},
              {"when": "idle", "ack_ms": 2.0, "queryable_s": 0.8, "polls": 14}]
    extras: dict[str, Any] = {}
    if opts.extras:
        extras = {"validation": fake_checks(), "dead_letter": fake_late(),
                  "validation_steps": {"us_per_batch": {"decode, valid": 17.5,
                                                        "decode, 1 invalid in 25": 74.0},
                                       "rounds": 7, "number": 2000,
                                       "decode_invalid_to_valid": 4.23}}
    return {**extras,
        "label": label, "env": env, "server_startup_s": 1.0, "noop": noop, "batch": batch,
        "ratio": round(batch["rps"] / noop["rps"], 3),
        "queryable": {"probes": probes, "max_s": 1.2, "under_load_max_s": 1.2,
                      "idle_max_s": 0.8, "failed": 0},
        "verification": {"ok": True, "stored_batches": 302, "accepted_batches_counted": 302,
                         "allowed_extra_batches": 4},
        "spool_backlog": {"max_sealed_segments_under_load": 3, "max_sealed_mb_under_load": 1.5,
                          "sealed_segments_at_load_end": 1, "drained_s_after_load": 0.5},
        "noise": {"noop_halves_rps": [510.0, 490.0], "noop_drift": 0.04,
                  "max_other_cores": 0.5, "noisy": True},
    }


def test_report_files_and_goals(tmp_path: Path) -> None:
    assert ingest.main(["--out", str(tmp_path)], runner=fake_run) == 0
    reports = sorted(tmp_path.glob("ingest-*.json"))
    assert len(reports) == 1
    data = json.loads(reports[0].read_text())
    assert [r["label"] for r in data["runs"]] == ["fsync on", "fsync off"]
    assert data["runs"][0]["batch"]["rps"] == 300.0
    assert data["runs"][0]["batch"]["events_per_s"] == 7500.0
    assert data["goals"]["ratio"] == {"goal": ">= 0.5", "value": 0.6, "met": True}
    assert data["goals"]["queryable"]["met"] is True
    assert data["goals"]["ratio_invalid"] == {"goal": ">= 0.5", "value": 0.45, "met": False}
    assert data["goals"]["queryable_after_dead_letter"]["met"] is True
    assert "validation" in data["runs"][0] and "validation" not in data["runs"][1]
    assert "dead_letter" not in data["runs"][1]
    latest = (tmp_path / "ingest-latest.md").read_text()
    assert latest == reports[0].with_suffix(".md").read_text()
    assert "| fsync on | POST /i/v1/batch | 300 | 7,500 |" in latest
    assert "0.600" in latest
    assert "noisy run, repeat it" in latest
    goal_lines = [line for line in latest.splitlines() if line.endswith(("| yes |", "| no |"))]
    assert goal_lines == [
        "| batch req/s ÷ no-op req/s | >= 0.5 | 0.600 | yes |",
        "| batch req/s ÷ no-op req/s, 1 invalid event in 25 | >= 0.5 | 0.450 | no |",
        "| time until queryable | <= 2.0 s (every probe) | 1.20 s | yes |",
        "| time until queryable after 2 dead-lettered segments | <= 2.0 s | 1.50 s | yes |",
    ]
    assert latest.count("## Per-event validation cost") == 1
    assert "| 1 invalid in 25 | 225 | 0.450 | 0.804 |" in latest
    assert "| 0 invalid in 25 | 280 | 0.560 | 1.000 |" in latest
    assert "costs 4.23x a valid one" in latest
    assert "queryable after **1.500 s** (an idle probe just before: 1.100 s)" in latest
    assert "in `<data>/spool/dead-letter`: yes," in latest


def test_missed_goals_do_not_fail_but_lost_events_do(tmp_path: Path) -> None:
    def slow(opts: ingest.Options, label: str, env: dict[str, str]) -> dict[str, Any]:
        run = fake_run(opts, label, env)
        run["ratio"], run["queryable"]["max_s"] = 0.1, 5.0
        return run

    assert ingest.main(["--out", str(tmp_path), "--no-fsync-off"], runner=slow) == 0
    data = json.loads(next(tmp_path.glob("ingest-*.json")).read_text())
    assert data["goals"]["ratio"]["met"] is False and data["goals"]["queryable"]["met"] is False

    def lossy(opts: ingest.Options, label: str, env: dict[str, str]) -> dict[str, Any]:
        run = fake_run(opts, label, env)
        run["verification"]["ok"] = False
        return run

    out = tmp_path / "lossy"
    assert ingest.main(["--out", str(out), "--no-fsync-off"], runner=lossy) == 1
    assert "Benchmark failed" in (out / "ingest-latest.md").read_text()


def test_a_segment_never_set_aside_misses_the_goal_and_a_lost_valid_event_fails(
        tmp_path: Path) -> None:
    def stuck(opts: ingest.Options, label: str, env: dict[str, str]) -> dict[str, Any]:
        run = fake_run(opts, label, env)
        run["dead_letter"] = fake_late(queryable=None, landed=False)
        return run

    assert ingest.main(["--out", str(tmp_path), "--no-fsync-off"], runner=stuck) == 0
    data = json.loads(next(tmp_path.glob("ingest-*.json")).read_text())
    assert data["goals"]["queryable_after_dead_letter"]["met"] is False
    latest = (tmp_path / "ingest-latest.md").read_text()
    assert "in `<data>/spool/dead-letter`: **no**" in latest and "still in the spool" in latest

    def dropped(opts: ingest.Options, label: str, env: dict[str, str]) -> dict[str, Any]:
        run = fake_run(opts, label, env)
        run["validation"]["invalid_stored"]["ok"] = False
        return run

    out = tmp_path / "dropped"
    assert ingest.main(["--out", str(out), "--no-fsync-off"], runner=dropped) == 1
    assert "invalid_stored" in (out / "ingest-latest.md").read_text()


def test_msgspec_roundtrip_of_template_is_compact() -> None:
    body = loadgen.body_for("bench", "size")
    assert 2_000 < len(body) < 8_000
    assert msgspec.json.decode(body)["id"] == "b-size"


def test_no_validation_leaves_out_its_phases_and_goals(tmp_path: Path) -> None:
    assert ingest.main(["--out", str(tmp_path), "--no-validation"], runner=fake_run) == 0
    data = json.loads(next(tmp_path.glob("ingest-*.json")).read_text())
    assert list(data["goals"]) == ["ratio", "queryable"]
    assert not any("validation" in run or "dead_letter" in run for run in data["runs"])
    assert "## Per-event validation cost" not in (tmp_path / "ingest-latest.md").read_text()
