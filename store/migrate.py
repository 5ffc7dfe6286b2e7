"""Bring the schema to head with Alembic (``python app.py migrate``)."""
from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from store.db import MIGRATIONS_DIR, check_connection


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    check_connection(engine)
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    command.downgrade(alembic_config(engine), revision)
