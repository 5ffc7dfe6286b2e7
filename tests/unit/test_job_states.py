"""The job transition table, exhaustively."""
import itertools

import pytest

from jobs.states import FINAL_STATES, TRANSITIONS, JobKind, JobState, can_transition

ALLOWED = {
    (JobState.QUEUED, JobState.RUNNING), (JobState.QUEUED, JobState.CANCELLED),
    (JobState.RUNNING, JobState.SUCCEEDED), (JobState.RUNNING, JobState.FAILED),
    (JobState.RUNNING, JobState.CANCELLED), (JobState.RUNNING, JobState.QUEUED),
}


@pytest.mark.parametrize("current,new", list(itertools.product(JobState, JobState)))
def test_every_pair_of_states(current, new):
    assert can_transition(current, new) is ((current, new) in ALLOWED)


def test_table_covers_every_state_and_final_states_are_dead_ends():
    assert set(TRANSITIONS) == set(JobState)
    for state in FINAL_STATES:
        assert TRANSITIONS[state] == frozenset()
        assert state.is_final and not state.is_active
    assert {s for s in JobState if not s.is_final} == {JobState.QUEUED, JobState.RUNNING}


@pytest.mark.parametrize("kind,params,mutating", [
    (JobKind.DEPLOY, {}, True), (JobKind.DESTROY, {}, True), (JobKind.RESET, {}, True),
    (JobKind.PREFLIGHT, {"fix": True}, True), (JobKind.PREFLIGHT, {}, False),
    (JobKind.HEALTH, {}, False), (JobKind.DIGEST, {}, False), (JobKind.PLAN, {}, False),
    (JobKind.STATUS, {}, False), (JobKind.NODES, {}, False),
])
def test_which_kinds_hold_their_lab(kind, params, mutating):
    assert kind.is_mutating(params) is mutating
