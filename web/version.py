"""Footfall's version, read once from the installed distribution's metadata."""

from __future__ import annotations

import functools
from importlib import metadata


@functools.cache
def version() -> str:
    """What `footfall --version`, /healthz, the OpenAPI document and the dashboard's footer show."""
    try:
        return metadata.version("footfall")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"
