"""Engine and session factory; connection and schema checks with messages a person can act on."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, CursorResult, Engine, Update, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from core.errors import DatabaseError
from core.redact import mask_url

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def make_engine(url: str) -> Engine:
    """Build an engine for ``url``; SQLite gets WAL, a busy timeout and foreign keys."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(f"DATABASE_URL {mask_url(url)!r} is not a database URL "
                            "(expected e.g. sqlite:///var/fuelbot.db or postgresql+psycopg://user:pw@host/db).") from None
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "savepoint", _begin_before_savepoint)
        return engine
    try:
        return create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=10)
    except (ArgumentError, ImportError) as exc:
        raise DatabaseError(f"Cannot use DATABASE_URL {mask_url(url)}: {exc}") from None


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_before_savepoint(connection: Connection, _name: str | None) -> None:
    """Open the transaction a SAVEPOINT belongs in, which pysqlite has not always done.

    pysqlite begins a transaction only before a write, so a ``begin_nested()`` that comes before a
    unit of work's first write would be SQLite's outermost savepoint, and its RELEASE a COMMIT
    (sqlite.org/lang_savepoint.html): the insert would be seen by other connections, and kept on
    rollback, before the rest of the unit of work. ``BEGIN IMMEDIATE`` takes the write lock the
    savepoint is about to need (waiting out the busy timeout), so no stale read snapshot can refuse it.
    """
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection is not None and not dbapi_connection.in_transaction:
        dbapi_connection.execute("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded attributes after commit (callers own the scope)."""
    return sessionmaker(engine, expire_on_commit=False)


def changed_rows(session: Session, statement: Update) -> int:
    """Run ``statement`` (a guarded UPDATE: a compare-and-set) and return how many rows it changed.

    It runs on the session's connection (after flushing what the session holds, as the session
    would): the ORM's bulk-update path, which evaluates criteria to keep loaded objects in step,
    cost a compare-and-set as much again, and no caller wants objects touched behind its back.
    """
    session.flush()
    return session.connection().execute(statement).rowcount


def check_connection(engine: Engine) -> None:
    """Raise DatabaseError naming the (masked) URL when the database cannot be reached."""
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
        raise DatabaseError(f"Cannot connect to the database {mask_url(engine.url.render_as_string(hide_password=False))}: "
                            f"{mask_url(reason)}") from None


def require_schema_at_head(engine: Engine) -> None:
    """Raise DatabaseError telling the user to migrate when the schema is missing or behind."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    check_connection(engine)
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    if set(current) != set(script.get_heads()):
        have = ", ".join(current) or "empty"
        raise DatabaseError(f"The database schema is not up to date ({have}); run `python app.py migrate`.")


def table_names(engine: Engine) -> list[str]:
    return inspect(engine).get_table_names()
