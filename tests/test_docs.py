"""The docs keep up with the code: settings, wire fields, event tags, limits, CLI commands."""

from __future__ import annotations

import argparse
import html
import json
import re
import typing
from pathlib import Path
from typing import Any

import msgspec
import pytest

from footfall.collector import decode, rows, wire
from footfall.web import api, cli, settings

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def doc(name: str) -> str:
    return (DOCS / name).read_text()


def cells(line: str) -> list[str]:
    """The cells of a Markdown table row (`\\|` is a literal bar inside a cell)."""
    parts = re.split(r"(?<!\\)\|", line.strip())[1:-1]
    return [part.strip().replace("\\|", "|") for part in parts]


def table_rows(text: str) -> list[list[str]]:
    return [
        cells(line)
        for line in text.splitlines()
        if line.lstrip().startswith("|") and not re.match(r"^\s*\|[\s:|-]+\|\s*$", line)
    ]


def code(cell: str) -> str | None:
    match = re.fullmatch(r"`([^`]+)`", cell)
    return match.group(1) if match else None


# -- configuration.md: the settings table ------------------------------------------------


def shown(default: Any) -> str:
    if isinstance(default, bool):
        return "`true`" if default else "`false`"
    if default == "":
        return "*empty*"
    return f"`{default}`"


def settings_table() -> str:
    """The table docs/configuration.md must contain, exactly as generated here."""
    lines = [
        "| Flag | Environment variable | Default | Description |",
        "| --- | --- | --- | --- |",
    ]
    for s in settings.SETTINGS:
        text = html.escape(s.help, quote=False).replace("|", "\\|")
        lines.append(f"| `{s.flag}` | `{s.env}` | {shown(s.default)} | {text} |")
    return "\n".join(lines) + "\n"


def test_configuration_table_is_generated_from_settings() -> None:
    expected = settings_table()
    assert expected in doc("configuration.md"), (
        "docs/configuration.md is out of date; paste this table:\n\n" + expected
    )


def test_every_documented_flag_is_a_setting() -> None:
    documented = [code(row[0]) for row in table_rows(doc("configuration.md")) if row]
    flags = [flag for flag in documented if flag and flag.startswith("--")]
    assert flags == [s.flag for s in settings.SETTINGS]
    for s in settings.SETTINGS:
        row = next(r for r in table_rows(doc("configuration.md")) if code(r[0]) == s.flag)
        assert code(row[1]) == s.env
        assert row[2] == shown(s.default)
        assert html.unescape(row[3]) == s.help


def test_environment_variables_named_in_docs_exist() -> None:
    known = {s.env for s in settings.SETTINGS}
    for path in sorted(DOCS.glob("*.md")):
        for name in re.findall(r"\bFOOTFALL_[A-Z][A-Z0-9_]*", path.read_text()):
            assert name in known, f"{path.name} names {name}, which is not a setting"


# -- wire-format.md: every Struct, field and tag -------------------------------------------


def wire_structs() -> list[type[msgspec.Struct]]:
    found = [
        value
        for value in vars(wire).values()
        if isinstance(value, type)
        and issubclass(value, msgspec.Struct)
        and value.__module__ == wire.__name__
        # Batch's shared fields and Batch read in two steps, not formats of their own (test_decode.py)
        and value not in (wire.BatchFields, wire.Envelope)
    ]
    assert found
    return found


def event_types() -> list[type[msgspec.Struct]]:
    return list(typing.get_args(wire.AnyEvent))


def struct_base(struct: type[msgspec.Struct]) -> type[msgspec.Struct] | None:
    """The documented Struct that `struct` extends (the base event), if any."""
    base = struct.__mro__[1]
    return base if base in wire_structs() else None


def expected_names(struct: type[msgspec.Struct]) -> set[str]:
    """JSON names of the fields a Struct adds; the base event documents the shared ones."""
    names = {f.encode_name for f in msgspec.structs.fields(struct)}
    base = struct_base(struct)
    if base is not None:
        names -= {f.encode_name for f in msgspec.structs.fields(base)}
    tag_field = struct.__struct_config__.tag_field
    if tag_field and base is None:
        names.add(tag_field)
    return names


def section(text: str, struct: type[msgspec.Struct]) -> str:
    """From the heading that names the Struct as (`Name`) to the next heading."""
    lines = text.splitlines()
    marker = f"(`{struct.__name__}`)"
    starts = [i for i, line in enumerate(lines) if line.startswith("#") and marker in line]
    assert len(starts) == 1, f"wire-format.md needs one heading containing {marker}"
    end = next(
        (i for i in range(starts[0] + 1, len(lines)) if lines[i].startswith("#")), len(lines)
    )
    return "\n".join(lines[starts[0] : end])


@pytest.mark.parametrize("struct", wire_structs(), ids=lambda s: s.__name__)
def test_every_wire_field_is_documented(struct: type[msgspec.Struct]) -> None:
    part = section(doc("wire-format.md"), struct)
    documented = {code(row[0]) for row in table_rows(part) if row and code(row[0])}
    assert documented == expected_names(struct), struct.__name__


@pytest.mark.parametrize("struct", event_types(), ids=lambda s: s.__name__)
def test_every_event_tag_is_documented(struct: type[msgspec.Struct]) -> None:
    tag = struct.__struct_config__.tag
    text = doc("wire-format.md")
    heading = section(text, struct).splitlines()[0]
    assert f'`{tag}`' in heading, f"the {struct.__name__} heading must name its tag `{tag}`"
    assert f'"t": "{tag}"' in text, f"the example batch should show a `{tag}` event"


def json_examples(text: str) -> list[Any]:
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", text, re.S)]


def test_examples_decode() -> None:
    examples = json_examples(doc("wire-format.md"))
    batches = [e for e in examples if isinstance(e, dict) and "e" in e]
    chunks = [e for e in examples if isinstance(e, dict) and "seq" in e]
    errors = [e for e in examples if isinstance(e, dict) and set(e) == {"error", "field"}]
    assert batches and chunks and errors
    for example in batches:
        wire.batch_decoder.decode(json.dumps(example))
    for example in chunks:
        wire.replay_decoder.decode(json.dumps(example))


def heading_section(text: str, title: str) -> str:
    """From the heading starting with `title` to the next heading of any level."""
    match = re.search(rf"^#+ {re.escape(title)}.*?(?=^#|\Z)", text, re.M | re.S)
    assert match, f"no heading {title!r}"
    return match.group(0)


def test_truncation_lengths_are_documented() -> None:
    part = heading_section(doc("wire-format.md"), "Truncation")
    documented = {code(row[0]): row[1] for row in table_rows(part) if code(row[0])}
    assert set(documented) == set(rows.MAX_TEXT)
    for kind, limit in rows.MAX_TEXT.items():
        assert documented.get(kind) == f"{limit:,}", f"truncation of `{kind}` ({limit})"


def test_limits_are_documented() -> None:
    text = doc("wire-format.md")
    assert f"{decode.MAX_EXPANSION}×" in text
    for name in ("max_body_kb", "max_replay_kb", "max_events"):
        assert settings.BY_NAME[name].flag in text
    for status in (400, 403, 413, 415, 429, 503):
        assert f"`{status}`" in text


# -- api.md: the read API and the command line ------------------------------------------


def test_count_types_are_documented() -> None:
    text = doc("api.md")
    for kind in api.COUNT_SOURCES:
        assert f"`{kind}`" in text, f"count type {kind} is not in docs/api.md"


def commands(parser: argparse.ArgumentParser, prefix: str = "footfall") -> dict[str, list[str]]:
    """Each leaf command ("footfall site create") with the option flags it adds itself."""
    setting_flags = {s.flag for s in settings.SETTINGS}
    found: dict[str, list[str]] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.update(commands(sub, f"{prefix} {name}"))
    if not found and prefix != "footfall":
        found[prefix] = [
            flag
            for action in parser._actions
            for flag in action.option_strings
            if flag.startswith("--") and flag not in setting_flags and flag != "--help"
        ]
    return found


def cli_docs() -> str:
    readme = ROOT / "README.md"
    return doc("api.md") + (readme.read_text() if readme.exists() else "")


def test_every_cli_command_is_documented() -> None:
    found = commands(cli.build_parser())
    assert "footfall serve" in found and "footfall site create" in found
    text = cli_docs()
    for command, flags in found.items():
        assert command in text, f"{command} is not documented in docs/api.md or README.md"
        for flag in flags:
            assert flag in text, f"{command} {flag} is not documented"
