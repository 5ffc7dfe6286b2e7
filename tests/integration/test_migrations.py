"""Alembic: upgrade from empty, no drift between models and migrations, downgrade."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from store.db import make_engine, require_schema_at_head, table_names
from store.migrate import downgrade, upgrade
from store.models import Base
import pytest
from core.errors import DatabaseError


def test_upgrade_from_empty_has_no_drift_and_downgrades(database_url):
    engine = make_engine(database_url)
    with pytest.raises(DatabaseError, match="python app.py migrate"):
        require_schema_at_head(engine)
    upgrade(engine)
    require_schema_at_head(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    assert {"jobs", "job_events", "outbox", "schedules", "schedule_fires", "lab_observations",
            "health_runs", "announced_nodes", "vm_ownership"} <= set(table_names(engine))
    downgrade(engine)
    assert set(table_names(engine)) <= {"alembic_version"}
    engine.dispose()


def test_unreachable_database_is_one_clear_line_with_the_password_masked():
    engine = make_engine("postgresql+psycopg://bot:hunter22@127.0.0.1:1/fuelbot")
    with pytest.raises(DatabaseError) as err:
        require_schema_at_head(engine)
    text = str(err.value)
    assert "hunter22" not in text and "127.0.0.1:1" in text and "\n" not in text


def test_a_url_that_is_not_a_database_url():
    with pytest.raises(DatabaseError, match="not a database URL"):
        make_engine("not a url")
