"""A unit of work is one transaction, savepoints included, on SQLite as on PostgreSQL.

pysqlite opens a transaction only before a write, so a ``begin_nested()`` that came first used to be
SQLite's outermost savepoint and its RELEASE a commit: a look-up's job was claimable before the
request had marked it as a look-up, and a refused request kept the job it had queued.
"""
from __future__ import annotations

from sqlalchemy import func, select

from jobs.queue import submit
from jobs.states import JobKind
from store.models import Job


def _jobs_seen_elsewhere(sessions) -> int:
    with sessions() as other:
        return other.scalar(select(func.count()).select_from(Job)) or 0


def test_a_job_queued_in_a_savepoint_is_seen_by_others_only_with_the_rest_of_its_unit_of_work(sessions) -> None:
    with sessions() as session:
        session.scalar(select(func.count()).select_from(Job))        # a request reads before it writes
        job = submit(session, kind=JobKind.PLAN, requester="U01", lab="lab1").job
        assert _jobs_seen_elsewhere(sessions) == 0, "the savepoint's release committed the job on its own"
        job.context = {"in_place": True}
        session.commit()
    with sessions() as session:
        assert session.scalar(select(Job.context).where(Job.id == job.id)) == {"in_place": True}


def test_a_unit_of_work_rolled_back_after_its_savepoint_keeps_nothing(sessions) -> None:
    with sessions() as session:
        session.scalar(select(func.count()).select_from(Job))
        submit(session, kind=JobKind.DEPLOY, requester="U01", lab="lab1")
        session.rollback()                                           # e.g. the handler refused after all
    assert _jobs_seen_elsewhere(sessions) == 0


def test_a_savepoint_after_a_write_still_nests(sessions) -> None:
    with sessions() as session:
        first = submit(session, kind=JobKind.HEALTH, requester="U01", lab="lab1").job
        second = submit(session, kind=JobKind.PLAN, requester="U01", lab="lab2").job
        assert _jobs_seen_elsewhere(sessions) == 0
        session.commit()
    assert _jobs_seen_elsewhere(sessions) == 2 and first.id != second.id
