"""Typed, frozen settings read once from the environment.

This is the only module that reads ``os.environ``; everything else receives a ``Settings``.
Secrets are ``repr=False`` fields and are registered with the redactor as soon as they are read.
"""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from core.errors import ConfigError
from core.redact import mask_url, register_secret

DEFAULT_DATABASE_URL = "sqlite:///var/fuelbot.db"


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
    worker_id: str = "fuelbot"
    lease_seconds: float = 30.0
    tick_seconds: float = 1.0
    max_running_jobs: int = 4
    slack_post_interval: float = 1.0
    slack_updates_per_minute: float = 50.0
    poll_seconds: float = 2.0
    log_level: str = "INFO"
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
            worker_id=env.get("FUELBOT_WORKER_ID") or f"{socket.gethostname()}-{os.getpid()}",
            lease_seconds=_float(env, "FUELBOT_LEASE_SECONDS", 30.0),
            tick_seconds=_float(env, "FUELBOT_TICK_SECONDS", 1.0),
            max_running_jobs=_int(env, "FUELBOT_MAX_RUNNING_JOBS", 4),
            slack_post_interval=_float(env, "FUELBOT_SLACK_POST_INTERVAL", 1.0),
            slack_updates_per_minute=_float(env, "FUELBOT_SLACK_UPDATES_PER_MINUTE", 50.0),
            poll_seconds=_float(env, "FUELBOT_POLL_SECONDS", 2.0),
            log_level=(env.get("FUELBOT_LOG_LEVEL") or "INFO").upper(),
            environ=env,
        )
        for secret in (settings.slack_bot_token, settings.slack_signing_secret, settings.slack_app_token):
            register_secret(secret)
        if "@" in settings.database_url:
            from urllib.parse import urlsplit
            register_secret(urlsplit(settings.database_url).password)
        return settings

    def missing_for_serve(self) -> list[str]:
        """Names of the variables ``serve`` needs but that are not set."""
        missing = [] if self.slack_bot_token else ["SLACK_BOT_TOKEN"]
        if not self.slack_app_token and not self.slack_signing_secret:
            missing.append("SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)")
        return missing


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}.") from None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}.") from None
