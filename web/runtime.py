"""The long-lived parts of one collector process, started and stopped in order."""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import socket
from pathlib import Path

from footfall.collector import writer
from footfall.collector.pipeline import Ingestor
from footfall.collector.salts import DailySalt
from footfall.collector.spool import Spool
from footfall.collector.writer import Writer
from footfall.replay import session_index
from footfall.store import Store
from footfall.store.migrations import migrate
from footfall.store.sites import SiteCache
from footfall.web.alerts.scheduler import Scheduler
from footfall.web.settings import Config, SettingError

log = logging.getLogger("footfall")


# What the writer calls once a segment is stored: the readers that keep tables of their own.
AFTER_LANDING = (session_index.after_landing,)


def land(store: Store, payloads: list[bytes], token: str) -> None:
    """A segment's frames into the store as the running writer puts them (tests and tools)."""
    writer.land(store, payloads, token, AFTER_LANDING)


LOCK_NAME = "footfall.lock"


class DataDirBusy(Exception):
    """Another process holds this data directory (a server, or a command using the embedded store)."""

    def __init__(self, data_dir: Path, holder: str) -> None:
        who = f"another Footfall (pid {holder})" if holder.isdigit() else "another Footfall"
        super().__init__(f"{who} is serving the data directory {data_dir}: one process at a time may use it "
                         "(stop that one, or give this one its own --data)")


class DataDirError(Exception):
    """The data directory cannot be made, read or written."""


def prepare_data_dir(data_dir: Path) -> None:
    """Make the directory (0700, it holds the admin socket and the secret), or say why it cannot be used."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(data_dir, 0o700)
        if not os.access(data_dir, os.R_OK | os.W_OK | os.X_OK):
            raise PermissionError(13, "Permission denied")
    except FileExistsError:
        raise DataDirError(f"the data directory {data_dir} is a file, not a directory") from None
    except OSError as exc:
        raise DataDirError(f"cannot use the data directory {data_dir}: {exc.strerror or exc}") from None


def lock_data_dir(data_dir: Path) -> int:
    """One process per data directory (chDB allows no more, and a spool has one writer): an exclusive
    lock held for as long as we run, in a file that names our pid."""
    prepare_data_dir(data_dir)
    path = data_dir / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise DataDirError(f"cannot use the data directory {data_dir}: {path}: {exc.strerror or exc}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode(errors="replace").strip()
        os.close(fd)
        raise DataDirBusy(data_dir, holder) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def collector_id(data_dir: Path) -> str:
    """Stable per data directory, so dedup tokens of a replayed spool match the first attempt."""
    path = data_dir / "collector-id"
    if not path.exists():
        path.write_text(f"{socket.gethostname()}-{secrets.token_hex(4)}\n")
    return path.read_text().strip()


def secret_of(config: Config) -> str:
    """The sessions' signing secret: --secret or what --secret-file holds, else one made in the data directory."""
    if config.secret_file:
        return secret_from_file(config)
    if config.secret:
        return config.secret
    path = config.data_dir / "secret"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


def secret_from_file(config: Config) -> str:
    path = Path(config.secret_file)
    named = f"the secret file {path}"
    if config.secret:
        raise SettingError("--secret and --secret-file are both set: give one of them")
    try:
        secret = path.read_bytes().decode().rstrip("\r\n")
    except OSError as exc:
        raise SettingError(f"{named} cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SettingError(f"{named} is not UTF-8 text") from None
    if not secret.strip():
        raise SettingError(f"{named} is empty")
    return secret


class Runtime:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.lock_fd: int | None = None
        self.store: Store | None = None
        self.demo_login: tuple[str, str] | None = None  # set by `footfall demo`

    def lock(self) -> None:
        """Hold the data directory: a server always does, a command only for the embedded store."""
        if self.lock_fd is None:
            self.lock_fd = lock_data_dir(self.config.data_dir)

    def open_store(self) -> Store:
        """Lock (embedded only), connect and migrate: everything that may run before the event loop."""
        prepare_data_dir(self.config.data_dir)
        if self.config.embedded:
            self.lock()
        self.store = store = Store(self.config.store_url, self.config.cluster)
        # A store from before the session index: index what it holds, before the migration counts as done.
        migrate(store, after={session_index.MIGRATION: session_index.backfill})
        cfg = self.config
        self.sites = SiteCache(store)
        self.salt = DailySalt(store)
        self.spool = Spool(
            cfg.data_dir / "spool",
            fsync=cfg.spool_fsync,
            fsync_interval=cfg.spool_fsync_interval_ms / 1000,
            quota_bytes=cfg.spool_quota_mb * 2**20,
            seal_rows=cfg.flush_rows,
            seal_age=cfg.flush_interval_ms / 1000,
        )
        self.ingestor = Ingestor(cfg, self.sites, self.salt, self.spool)
        self.writer = Writer(self.spool, store, collector_id(cfg.data_dir), self.ingestor.counters,
                             on_written=self.ingestor.recent.stored, after=AFTER_LANDING)
        self.alerts = Scheduler(cfg, store, self.sites)
        return store

    async def start(self) -> None:
        """Replay what a previous run left in the spool, then start committing and writing."""
        await self.store_or_open().run(self.sites.reload)
        self.spool.start()
        known = self.ingestor.recent.load(self.spool.sealed())
        log.info("ingest: %d recent batch ids known, duplicates of them are not stored again", known)
        self.writer.start()
        self.alerts.start()

    def store_or_open(self) -> Store:
        return self.store or self.open_store()

    async def stop(self) -> None:
        """Stop the alert rounds, seal the spool, drain it into the store, then let go of the data directory."""
        await self.alerts.stop()
        await self.spool.close()
        await self.writer.stop()
        if self.store:
            self.store.close()
        self.release()

    def release(self) -> None:
        if self.lock_fd is not None:
            os.close(self.lock_fd)
            self.lock_fd = None
