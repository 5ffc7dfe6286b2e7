"""State columns are Enum columns: members in Python, the same strings in the database as ever."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from jobs.outbox import OutboxState, Placement, enqueue
from jobs.queue import submit
from jobs.states import JobKind, JobState
from store.models import Job, OutboxMessage


def test_states_are_members_in_python_and_their_values_in_the_database(sessions) -> None:
    with sessions() as s, s.begin():
        job = submit(s, kind=JobKind.DEPLOY, requester="U1", lab="lab1").job
        enqueue(s, channel="C1", text="hello", placement=Placement.PARENT, job_id=job.id)
    with sessions() as s:
        raw = s.execute(text("SELECT j.state, o.state, o.placement FROM jobs j JOIN outbox o ON o.job_id = j.id")).one()
        assert tuple(raw) == ("queued", "pending", "parent")
        job = s.get(Job, job.id)
        message = s.query(OutboxMessage).one()
        assert (job.state, message.state, message.placement) == (JobState.QUEUED, OutboxState.PENDING,
                                                                   Placement.PARENT)
        assert job.state is JobState.QUEUED and message.placement is Placement.PARENT


def test_a_row_written_as_a_plain_string_reads_back_as_its_member(sessions) -> None:
    with sessions() as s, s.begin():
        job = submit(s, kind=JobKind.HEALTH, requester="U1", lab="lab1").job
    with sessions() as s, s.begin():
        s.execute(text("UPDATE jobs SET state = 'running' WHERE id = :id"), {"id": job.id})
    with sessions() as s:
        assert s.get(Job, job.id).state is JobState.RUNNING


def test_a_state_that_does_not_exist_is_refused_when_written(sessions) -> None:
    with sessions() as s, s.begin():
        job = submit(s, kind=JobKind.HEALTH, requester="U1", lab="lab1").job
    with sessions() as s:
        s.get(Job, job.id).state = "exploded"
        with pytest.raises(StatementError, match="exploded"):
            s.flush()
