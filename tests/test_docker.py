"""The docker/ topology, checked by parsing: compose files, nginx, the ClickHouse and Keeper configs. No
Docker engine, no server. The cluster DDL is tests/store/test_cluster_ddl.py."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from footfall.store import client, migrations
from footfall.web import settings, static_files
from footfall.web.health import STORE_TIMEOUT

ROOT = Path(__file__).resolve().parents[1]
DOCKER = ROOT / "docker"
SINGLE = DOCKER / "compose.yml"
CLUSTER = DOCKER / "compose.cluster.yml"
COMPOSE_FILES = [SINGLE, CLUSTER]

_VAR = re.compile(r"\$\{(\w+)(?::?([-?])([^}]*))?\}")


def expand(value: str) -> str:
    """Compose interpolation with an empty environment: `${X:-default}` gives the default."""
    return _VAR.sub(lambda m: m.group(3) if m.group(2) == "-" else "", value)


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def services(path: Path) -> dict[str, dict[str, Any]]:
    return load(path)["services"]


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: expand(str(value)) for key, value in env.items()}


def is_clickhouse(service: dict[str, Any]) -> bool:
    return str(service.get("image", "")).startswith("clickhouse/clickhouse-server")


def is_keeper(service: dict[str, Any]) -> bool:
    return str(service.get("image", "")).startswith("clickhouse/clickhouse-keeper")


def is_collector(service: dict[str, Any]) -> bool:
    build = service.get("build") or {}
    return isinstance(build, dict) and build.get("dockerfile") == "docker/Dockerfile"


def mounts(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(source, target) of every volume entry, short or long syntax."""
    out = []
    for entry in service.get("volumes") or []:
        if isinstance(entry, dict):
            out.append((entry["source"], entry["target"]))
        else:
            source, target = entry.split(":")[:2]
            out.append((source, target))
    return out


def bind_file(compose: Path, service: dict[str, Any], target_part: str) -> Path:
    """The repository file a service mounts at a target containing `target_part`."""
    found = [
        (compose.parent / source).resolve()
        for source, target in mounts(service)
        if source.startswith(".") and target_part in target
    ]
    assert len(found) == 1, f"expected one mount at *{target_part}*, got {found}"
    return found[0]


# -- the compose files ------------------------------------------------------------


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_compose_parses_with_expected_services(path: Path) -> None:
    found = services(path)
    assert any(is_clickhouse(s) for s in found.values())
    assert any(is_collector(s) for s in found.values())
    if path == CLUSTER:
        assert sum(is_clickhouse(s) for s in found.values()) == 4
        assert sum(is_keeper(s) for s in found.values()) in (1, 3)
        assert sum(is_collector(s) for s in found.values()) >= 2
        assert any(str(s.get("image", "")).startswith("nginx") for s in found.values())


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_every_service_has_a_healthcheck(path: Path) -> None:
    for name, service in services(path).items():
        check = service.get("healthcheck")
        assert check and check.get("test"), f"{path.name}: {name} has no healthcheck"


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_collectors_are_checked_for_readiness(path: Path) -> None:
    """/readyz, not /healthz: a collector whose store is gone or whose writer is stuck is not healthy,
    and the check waits for the store's answer (or its timeout) before Docker gives up on it."""
    checked = 0
    for name, service in services(path).items():
        if not is_collector(service):
            continue
        check = service["healthcheck"]
        command = " ".join(check["test"])
        port = int(environment(service).get("FOOTFALL_PORT", 8000))
        assert f"urlopen('http://127.0.0.1:{port}/readyz'" in command, name  # raises on a 503
        waits = re.search(r"timeout=(\d+(?:\.\d+)?)", command)
        assert waits and float(waits.group(1)) > STORE_TIMEOUT, name
        assert float(str(check["timeout"]).removesuffix("s")) > STORE_TIMEOUT, name
        checked += 1
    assert checked


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_collectors_point_at_a_clickhouse_service(path: Path) -> None:
    found = services(path)
    for name, service in found.items():
        if not is_collector(service):
            continue
        env = environment(service)
        url = urlsplit(env["FOOTFALL_CLICKHOUSE_URL"])
        assert url.scheme == "http"
        assert url.hostname in found, f"{name}: no service {url.hostname!r}"
        target = found[url.hostname]
        assert is_clickhouse(target)
        ch_env = environment(target)
        assert client.database_of(env["FOOTFALL_CLICKHOUSE_URL"]) == ch_env["CLICKHOUSE_DB"]
        assert url.username == ch_env.get("CLICKHOUSE_USER", "default")
        assert url.password == ch_env["CLICKHOUSE_PASSWORD"]
        assert url.port == 8123
        assert env["FOOTFALL_HOST"] == "0.0.0.0"
        depends = service.get("depends_on") or {}
        assert depends[url.hostname]["condition"] == "service_healthy"


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_collector_env_names_real_settings(path: Path) -> None:
    known = {s.env for s in settings.SETTINGS}
    for name, service in services(path).items():
        for key in environment(service):
            if key.startswith(settings.ENV_PREFIX):
                assert key in known, f"{path.name}: {name} sets unknown {key}"


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_mount_sources_and_build_context_exist(path: Path) -> None:
    doc = load(path)
    declared = set(doc.get("volumes") or {})
    for name, service in doc["services"].items():
        for source, _ in mounts(service):
            if source.startswith((".", "/")):
                assert (path.parent / source).resolve().exists(), f"{name}: {source} missing"
            else:
                assert source in declared, f"{name}: volume {source} not declared"
        build = service.get("build")
        if build:
            context = (path.parent / build["context"]).resolve()
            assert (context / build["dockerfile"]).is_file()


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_each_collector_has_its_own_spool_volume(path: Path) -> None:
    sources = []
    for service in services(path).values():
        if is_collector(service):
            data = environment(service).get("FOOTFALL_DATA", "/data")
            owned = [source for source, target in mounts(service) if target == data]
            assert len(owned) == 1, "the data directory (spool) must be a volume"
            sources.append(owned[0])
    assert len(sources) == len(set(sources))


def test_dockerfile_copies_existing_paths_and_serves() -> None:
    text = (DOCKER / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", text, re.M)
    assert re.search(r"pip install \.", text)
    assert re.search(r'^CMD \["footfall", "serve"\]', text, re.M)
    for line in re.findall(r"^COPY (.+)$", text, re.M):
        *sources, _ = line.split()
        for source in sources:
            assert (ROOT / source).exists(), f"Dockerfile copies missing {source}"
    assert (ROOT / "web" / "static" / "f.js").is_file()


# -- ClickHouse: the release and its settings for small hosts -----------------------

# ClickHouse's long-term-support releases are the .3 and .8 of each year; 26.8 is the current one.
CLICKHOUSE_LTS = "26.8"
LOW_MEMORY = DOCKER / "clickhouse" / "low-memory.xml"
SYSTEM_LOGS = DOCKER / "clickhouse" / "system-logs.xml"
# The system log tables a 26.8 server writes with its default config.xml (and a few it writes when
# configured): each must have a TTL or be turned off, or it grows without end.
LOG_TABLES = {
    "query_log", "query_thread_log", "query_views_log", "query_metric_log", "part_log", "text_log",
    "trace_log", "metric_log", "asynchronous_metric_log", "latency_log", "error_log", "crash_log",
    "processors_profile_log", "opentelemetry_span_log", "asynchronous_insert_log", "backup_log",
    "s3queue_log", "blob_storage_log", "background_schedule_pool_log", "session_log", "zookeeper_log",
}
_TTL = re.compile(r"^event_date \+ INTERVAL (\d+) DAY DELETE$")


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_clickhouse_is_the_current_lts_pinned_by_version(path: Path) -> None:
    found = services(path)
    images = {str(s["image"]) for s in found.values() if is_clickhouse(s) or is_keeper(s)}
    assert f"clickhouse/clickhouse-server:{CLICKHOUSE_LTS}" in images
    for image in images:
        version = re.fullmatch(r"clickhouse/clickhouse-(?:server|keeper):(\d+)\.(\d+)(?:-alpine)?", image)
        assert version, f"{image} is not pinned to a release"
        assert f"{version.group(1)}.{version.group(2)}" == CLICKHOUSE_LTS, image
    assert int(CLICKHOUSE_LTS.split(".")[1]) in (3, 8)


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_every_clickhouse_server_reads_the_small_host_settings(path: Path) -> None:
    for name, service in services(path).items():
        if is_clickhouse(service):
            assert bind_file(path, service, "config.d/low-memory") == LOW_MEMORY, name
            assert bind_file(path, service, "config.d/system-logs") == SYSTEM_LOGS, name


def test_every_system_log_has_a_ttl_or_is_turned_off() -> None:
    root = ET.parse(SYSTEM_LOGS).getroot()
    configured = {element.tag: element for element in root}
    assert set(configured) == LOG_TABLES
    for tag, element in configured.items():
        if element.get("remove") == "1":
            assert len(element) == 0, tag
            continue
        # A log given only a TTL here is merged into the default config's: it must be one that
        # the default config writes, or this file would turn it on.
        assert tag not in {"session_log", "zookeeper_log", "background_schedule_pool_log"}, tag
        ttl = _TTL.match(element.findtext("ttl") or "")
        assert ttl, f"{tag}: no TTL"
        assert 1 <= int(ttl.group(1)) <= 30, tag
        assert element.find("engine") is None  # an engine would override the TTL
    assert configured["text_log"].findtext("level") == "warning"  # trace by default


def test_the_merge_pool_leaves_room_for_mutations_and_the_caches_are_small() -> None:
    found = {element.tag: element.text for element in ET.parse(LOW_MEMORY).getroot()}
    # Below 25 tasks ClickHouse refuses to create MergeTree tables (the free entries it keeps for
    # mutations and OPTIMIZE, 20 and 25 by default), and a visitor's erase would never run.
    assert int(found["background_pool_size"]) * int(found["background_merges_mutations_concurrency_ratio"]) >= 25
    assert int(found["background_pool_size"]) < 16  # the default
    assert 0.5 <= float(found["max_server_memory_usage_to_ram_ratio"]) < 0.9
    for cache in ("mark_cache_size", "index_mark_cache_size", "uncompressed_cache_size"):
        assert int(found[cache]) <= 512 * 2**20, cache
    assert int(found["max_concurrent_queries"]) < 1000


_LOAD = """
import json, sys
import chdb.state.sqlitelike as chdb
connection = chdb.connect(f"file:{sys.argv[1]}?config-file={sys.argv[2]}")
cursor = connection.cursor()
cursor.execute("SELECT 1")
cursor.execute("SYSTEM FLUSH LOGS")
cursor.execute("SELECT name, value, changed FROM system.server_settings")
settings = {name: [value, changed] for name, value, changed in cursor.fetchall()}
cursor.execute("SELECT engine_full FROM system.tables WHERE database = 'system' AND name = 'query_log'")
print(json.dumps({"settings": settings, "query_log": cursor.fetchall()[0][0]}))
"""


def test_the_settings_load_in_clickhouse(tmp_path: Path) -> None:
    """Both files as one config of the ClickHouse engine the tests run (chDB, in a process of its
    own): every setting is a server setting ClickHouse knows and takes, and the logs' TTL applies."""
    merged = ET.Element("clickhouse")
    for path in (LOW_MEMORY, SYSTEM_LOGS):
        merged.extend(ET.parse(path).getroot())
    config = tmp_path / "config.xml"
    ET.ElementTree(merged).write(config)
    done = subprocess.run([sys.executable, "-c", _LOAD, str(tmp_path / "store"), str(config)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = json.loads(done.stdout)
    for element in ET.parse(LOW_MEMORY).getroot():
        assert element.tag in loaded["settings"], f"{element.tag} is not a ClickHouse server setting"
        assert loaded["settings"][element.tag][1] == 1, f"{element.tag} not taken"
    assert loaded["settings"]["mark_cache_size"][0] == ET.parse(LOW_MEMORY).getroot().findtext("mark_cache_size")
    assert "TTL event_date + toIntervalDay(7)" in loaded["query_log"]


# -- the cluster: ClickHouse, Keeper, nginx ------------------------------------------


def cluster_services() -> dict[str, dict[str, Any]]:
    return services(CLUSTER)


def clickhouse_nodes() -> dict[str, dict[str, Any]]:
    return {name: s for name, s in cluster_services().items() if is_clickhouse(s)}


def remote_servers() -> ET.Element:
    files = {bind_file(CLUSTER, s, "config.d/cluster") for s in clickhouse_nodes().values()}
    assert len(files) == 1, "every node must share one remote_servers definition"
    return ET.parse(files.pop()).getroot()


def test_remote_servers_cluster_matches_footfall_cluster_setting() -> None:
    clusters = remote_servers().find("remote_servers")
    assert clusters is not None
    names = [c.tag for c in clusters]
    for service in cluster_services().values():
        if is_collector(service):
            assert environment(service)["FOOTFALL_CLUSTER"] in names


def shards() -> list[list[str]]:
    root = remote_servers()
    (cluster,) = [c for c in root.find("remote_servers") if c.tag == "footfall"]
    out = []
    for shard in cluster.findall("shard"):
        assert shard.findtext("internal_replication") == "true"
        out.append([replica.findtext("host") for replica in shard.findall("replica")])
    return out


def test_cluster_is_two_shards_of_two_replicas_naming_real_services() -> None:
    layout = shards()
    assert [len(replicas) for replicas in layout] == [2, 2]
    hosts = [host for replicas in layout for host in replicas]
    assert sorted(hosts) == sorted(clickhouse_nodes())


def test_each_replica_has_distinct_macros_matching_its_shard() -> None:
    layout = shards()
    seen = set()
    for name, service in clickhouse_nodes().items():
        macros = ET.parse(bind_file(CLUSTER, service, "macros")).getroot().find("macros")
        assert macros is not None
        shard, replica = macros.findtext("shard"), macros.findtext("replica")
        assert shard and replica
        assert (shard, replica) not in seen
        seen.add((shard, replica))
        assert name in layout[int(shard) - 1], f"{name} is not in shard {shard}"
    assert len({replica for _, replica in seen}) == len(seen)


def test_zookeeper_nodes_are_keeper_services() -> None:
    keepers = {name for name, s in cluster_services().items() if is_keeper(s)}
    nodes = remote_servers().find("zookeeper")
    assert nodes is not None
    hosts = {node.findtext("host") for node in nodes.findall("node")}
    assert hosts == keepers
    assert len(keepers) % 2 == 1, "a Raft quorum needs an odd number of Keeper nodes"
    for service in clickhouse_nodes().values():
        depends = service.get("depends_on") or {}
        assert set(depends) >= keepers


def test_keeper_configs_agree_on_the_raft_ensemble() -> None:
    keepers = {name: s for name, s in cluster_services().items() if is_keeper(s)}
    ids = {}
    for name, service in keepers.items():
        root = ET.parse(bind_file(CLUSTER, service, "keeper_config")).getroot()
        server = root.find("keeper_server")
        assert server is not None
        raft = {
            int(s.findtext("id") or 0): s.findtext("hostname")
            for s in server.findall("raft_configuration/server")
        }
        assert set(raft.values()) == set(keepers)
        ids[name] = int(server.findtext("server_id") or 0)
        assert raft[ids[name]] == name, f"{name} claims another node's server_id"
        assert server.findtext("tcp_port") == "9181"
    assert len(set(ids.values())) == len(ids)


def test_nginx_upstream_is_the_collectors() -> None:
    found = cluster_services()
    (lb,) = [s for s in found.values() if str(s.get("image", "")).startswith("nginx")]
    conf = bind_file(CLUSTER, lb, "nginx.conf").read_text()
    upstreams = dict(re.findall(r"upstream\s+(\w+)\s*\{([^}]*)\}", conf))
    assert upstreams
    for name in re.findall(r"proxy_pass\s+http://(\w+)", conf):
        assert name in upstreams
    collectors = {name: s for name, s in found.items() if is_collector(s)}
    servers = re.findall(r"^\s*server\s+([\w.-]+):(\d+)", "".join(upstreams.values()), re.M)
    assert {host for host, _ in servers} == set(collectors)
    for host, port in servers:
        assert int(environment(collectors[host]).get("FOOTFALL_PORT", 8000)) == int(port)
    assert set(lb.get("depends_on") or {}) == set(collectors)


def test_collectors_behind_nginx_see_the_visitor_ip() -> None:
    found = cluster_services()
    (lb,) = [s for s in found.values() if str(s.get("image", "")).startswith("nginx")]
    conf = bind_file(CLUSTER, lb, "nginx.conf").read_text()
    # Overwritten with the peer address, so a visitor cannot pick the IP that is rate-limited.
    assert re.search(r"proxy_set_header\s+X-Forwarded-For\s+\$remote_addr;", conf)
    trusted = settings.BY_NAME["forwarded_allow_ips"].env
    for name, service in found.items():
        if is_collector(service):
            assert environment(service).get(trusted), f"{name} must trust the load balancer"
            assert not service.get("ports"), f"{name} must be reachable only through nginx"


def nginx_directives() -> list[tuple[str, str]]:
    """The load balancer's `name value;` directives in order, comments left out."""
    (lb,) = [s for s in cluster_services().values() if str(s.get("image", "")).startswith("nginx")]
    conf = re.sub(r"#[^\n]*", "", bind_file(CLUSTER, lb, "nginx.conf").read_text())
    found = re.findall(r"(?<=[;{}])\s*(\w+)\s+([^;{}]*);", ";" + conf)
    return [(name, " ".join(value.split())) for name, value in found]


def test_nginx_compresses_answers_and_passes_compressed_scripts_through() -> None:
    directives = nginx_directives()
    found = dict(directives)
    assert found["gzip"] == "on"
    assert found["gzip_vary"] == "on"  # caches keep the compressed and plain answers apart
    assert found["gzip_proxied"] == "any"
    types = set(found["gzip_types"].split())  # text/html is always compressed
    assert {"application/json", "application/x-ndjson", "text/css", "text/javascript",
            "application/javascript"} <= types
    assert static_files.media_type("f.js").split(";")[0] in types
    # The visitor's Accept-Encoding reaches the collectors, which send the scripts as brotli or gzip;
    # nginx passes a body that has a Content-Encoding through unchanged.
    headers = [value.split()[0].lower() for name, value in directives if name == "proxy_set_header"]
    assert "host" in headers and "accept-encoding" not in headers
    assert found.get("gunzip", "off") == "off"


def test_collectors_share_the_signing_secret_as_a_docker_secret() -> None:
    collectors = [s for s in cluster_services().values() if is_collector(s)]
    assert collectors and all("FOOTFALL_SECRET" not in s["environment"] for s in collectors)  # not in `env`
    files = {str(s["environment"]["FOOTFALL_SECRET_FILE"]) for s in collectors}
    assert files == {"/run/secrets/footfall_secret"}
    assert all(s["secrets"] == ["footfall_secret"] for s in collectors)
    compose = yaml.safe_load((ROOT / "docker" / "compose.cluster.yml").read_text())
    assert compose["secrets"]["footfall_secret"] == {"environment": "FOOTFALL_SECRET"}


def test_replica_paths_use_the_macros_the_nodes_define() -> None:
    """The cluster DDL's replica paths (tests/store/test_cluster_ddl.py) name only macros the nodes define."""
    service = next(iter(clickhouse_nodes().values()))
    macros = ET.parse(bind_file(CLUSTER, service, "macros")).getroot().find("macros")
    assert macros is not None
    defined = {child.tag for child in macros}
    every = [s for m in migrations.available() for s in m.statements()] + migrations.ledger_sql("", "footfall")
    for statement in every:
        for sql in migrations.render(statement, "footfall", "footfall"):
            assert set(re.findall(r"\{(\w+)\}", sql)) <= defined


def test_expand_follows_compose_defaults() -> None:
    assert expand("a${X:-b}c") == "abc"
    assert expand("${X:?required}") == ""
    assert expand("${X}") == ""
