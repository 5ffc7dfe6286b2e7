"""Typed, frozen settings read once from the environment.

This is the only module that reads ``os.environ``; everything else receives a ``Settings``.
Secrets are ``repr=False`` fields and are registered with the redactor as soon as they are read.
"""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, TypeVar

from core.errors import ConfigError
from core.job_links import JobLinks
from core.redact import mask_url, register_secret

N = TypeVar("N", int, float)

DEFAULT_DATABASE_URL = "sqlite:///var/fuelbot.db"
# The variables fuelbot itself reads (patterns): a lab spec may never reference them.
OWN_VARIABLES = ("DATABASE_URL", "PORT", "SLACK_*", "FUELBOT_*")
# What lab specs may reference unless FUELBOT_SPEC_VARIABLES says otherwise: what labs/*.yaml use.
DEFAULT_SPEC_VARIABLES = ("VCENTER_*", "FUEL_*", "OPENSTACK_*", "ZABBIX_*", "LAB*_*")


@dataclass(frozen=True)
class Settings:
    """Everything fuelbot can be configured with; see the README's configuration table."""

    database_url: str = field(default=DEFAULT_DATABASE_URL, repr=False)
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_url: str | None = None
    labs_dir: Path = Path("labs")
    admins: frozenset[str] = frozenset()
    policy_file: Path | None = None
    port: int = 3000
    http_host: str = "0.0.0.0"                # where $PORT listens (127.0.0.1 behind a reverse proxy)
    worker_id: str = "fuelbot"
    lease_seconds: float = 30.0
    tick_seconds: float = 1.0
    max_running_jobs: int = 4
    slack_post_interval: float = 1.0
    slack_updates_per_minute: float = 50.0
    poll_seconds: float = 2.0
    observe_seconds: float = 30.0            # lab observations: each Fuel master read once per tick (0: off)
    master_install_seconds: float = 3600.0   # the Fuel master's install from its ISO (a real one: 20–40 min)
    log_level: str = "INFO"
    public_url: str | None = None             # where people reach the web server (job page links)
    job_link_key: str | None = field(default=None, repr=False)
    job_link_ttl: float = 7 * 24 * 3600.0
    spec_variables: tuple[str, ...] = DEFAULT_SPEC_VARIABLES   # names and * patterns lab specs may read
    max_queued_per_user: int = 3          # read-only jobs one person may have waiting
    max_queued_per_lab: int = 5           # read-only jobs waiting on one lab
    max_pending_posts_per_user: int = 20  # messages of one person's jobs waiting to be posted in one channel
    http_connections: int = 500           # open HTTP connections at once; more wait in the listen backlog
    http_read_timeout: float = 10.0       # seconds a client has to send one whole request
    metrics_address: tuple[str, int] | None = None   # /metrics (and /healthz) on a listener of their own
    metrics_token: str | None = field(default=None, repr=False)   # or /metrics on $PORT behind this bearer token
    snapshot_dir: Path = Path("var/snapshots")   # diagnostic snapshots fuelbot downloaded (they hold passwords)
    snapshot_max_mb: int = 1000                  # the largest snapshot fuelbot downloads
    upload_max_mb: int = 1000                    # the largest file fuelbot shares in Slack (Slack's own limit: 1 GB)
    environ: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def database_url_masked(self) -> str:
        """The database URL with its password masked, fit for messages and logs."""
        return mask_url(self.database_url)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Read settings from ``environ`` (default: the process environment)."""
        env = dict(os.environ if environ is None else environ)
        settings = cls(
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            slack_bot_token=env.get("SLACK_BOT_TOKEN") or None,
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            slack_app_token=env.get("SLACK_APP_TOKEN") or None,
            slack_api_url=env.get("SLACK_API_URL") or None,
            labs_dir=Path(env.get("FUELBOT_LABS_DIR") or "labs"),
            admins=frozenset(u.strip() for u in env.get("FUELBOT_ADMINS", "").split(",") if u.strip()),
            policy_file=Path(env["FUELBOT_POLICY"]) if env.get("FUELBOT_POLICY") else None,
            port=_int(env, "PORT", 3000),
            http_host=env.get("FUELBOT_HTTP_HOST") or "0.0.0.0",
            worker_id=env.get("FUELBOT_WORKER_ID") or f"{socket.gethostname()}-{os.getpid()}",
            lease_seconds=_float(env, "FUELBOT_LEASE_SECONDS", 30.0),
            tick_seconds=_float(env, "FUELBOT_TICK_SECONDS", 1.0),
            max_running_jobs=_int(env, "FUELBOT_MAX_RUNNING_JOBS", 4),
            slack_post_interval=_float(env, "FUELBOT_SLACK_POST_INTERVAL", 1.0),
            slack_updates_per_minute=_float(env, "FUELBOT_SLACK_UPDATES_PER_MINUTE", 50.0),
            poll_seconds=_float(env, "FUELBOT_POLL_SECONDS", 2.0),
            observe_seconds=_float(env, "FUELBOT_OBSERVE_SECONDS", 30.0),
            master_install_seconds=60.0 * _number(env, "FUELBOT_MASTER_INSTALL_MINUTES", 60.0, float,
                                                  "a number of minutes"),
            log_level=(env.get("FUELBOT_LOG_LEVEL") or "INFO").upper(),
            public_url=(env.get("FUELBOT_PUBLIC_URL") or "").rstrip("/") or None,
            job_link_key=env.get("FUELBOT_JOB_LINK_KEY") or None,
            job_link_ttl=_float(env, "FUELBOT_JOB_LINK_TTL", 7 * 24 * 3600.0),
            spec_variables=_names(env, "FUELBOT_SPEC_VARIABLES", DEFAULT_SPEC_VARIABLES),
            max_queued_per_user=_int(env, "FUELBOT_MAX_QUEUED_PER_USER", 3),
            max_queued_per_lab=_int(env, "FUELBOT_MAX_QUEUED_PER_LAB", 5),
            max_pending_posts_per_user=_int(env, "FUELBOT_MAX_PENDING_POSTS_PER_USER", 20),
            http_connections=_int(env, "FUELBOT_HTTP_CONNECTIONS", 500),
            http_read_timeout=_float(env, "FUELBOT_HTTP_READ_TIMEOUT", 10.0),
            metrics_address=_address(env, "FUELBOT_METRICS_ADDRESS"),
            metrics_token=env.get("FUELBOT_METRICS_TOKEN") or None,
            snapshot_dir=Path(env.get("FUELBOT_SNAPSHOT_DIR") or "var/snapshots"),
            snapshot_max_mb=_int(env, "FUELBOT_SNAPSHOT_MAX_MB", 1000),
            upload_max_mb=_int(env, "FUELBOT_UPLOAD_MAX_MB", 1000),
            environ=env,
        )
        if settings.job_link_key is not None and len(settings.job_link_key) < 16:
            raise ConfigError("FUELBOT_JOB_LINK_KEY must be at least 16 characters (e.g. `openssl rand -hex 32`).")
        if settings.metrics_token is not None and len(settings.metrics_token) < 16:
            raise ConfigError("FUELBOT_METRICS_TOKEN must be at least 16 characters (e.g. `openssl rand -hex 32`).")
        if settings.master_install_seconds <= 0:
            raise ConfigError("FUELBOT_MASTER_INSTALL_MINUTES must be above 0 (a real 6.0 install takes 20–40 min; "
                              "the default is 60).")
        if settings.public_url and not settings.public_url.startswith(("http://", "https://")):
            raise ConfigError(f"FUELBOT_PUBLIC_URL must be an http(s) URL, got {settings.public_url!r}.")
        for secret in (settings.slack_bot_token, settings.slack_signing_secret, settings.slack_app_token,
                       settings.job_link_key, settings.metrics_token):
            register_secret(secret)
        if "@" in settings.database_url:
            from urllib.parse import urlsplit
            register_secret(urlsplit(settings.database_url).password)
        return settings

    def job_links(self) -> "JobLinks | None":
        """Job page links, when a signing key is set (base URL: FUELBOT_PUBLIC_URL, else localhost:PORT)."""
        if not self.job_link_key:
            return None
        return JobLinks(base_url=self.public_url or f"http://localhost:{self.port}", key=self.job_link_key,
                        ttl_seconds=self.job_link_ttl)

    def missing_for_serve(self) -> list[str]:
        """Names of the variables ``serve`` needs but that are not set."""
        missing = [] if self.slack_bot_token else ["SLACK_BOT_TOKEN"]
        if not self.slack_app_token and not self.slack_signing_secret:
            missing.append("SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)")
        return missing


def _address(env: Mapping[str, str], name: str) -> tuple[str, int] | None:
    raw = env.get(name)
    if not raw:
        return None
    host, _, port = raw.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"{name} must be host:port (e.g. 127.0.0.1:9464), got {raw!r}.")
    return host.strip("[]"), int(port)


def _names(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = env.get(name)
    if raw is None:
        return default
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    return _number(env, name, default, int, "a whole number")


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    return _number(env, name, default, float, "a number of seconds")


def _number(env: Mapping[str, str], name: str, default: N, parse: Callable[[str], N], what: str) -> N:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return parse(raw)
    except ValueError:
        raise ConfigError(f"{name} must be {what}, got {raw!r}.") from None
