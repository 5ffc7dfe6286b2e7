"""The polling loop under wait_for_task/wait_for_testruns, driven by a fake clock."""
from __future__ import annotations

import pytest

from core.errors import FuelError
from integrations.fuel import waiting
from integrations.fuel.enums import TaskName, TaskStatus, TestRunStatus
from integrations.fuel.models import Task, TestRun


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.sleeps.append(seconds)
        self.now += seconds


def _task(status: str = "running", progress: int = 0, message: str | None = None) -> Task:
    return Task(id=12, name=TaskName.DEPLOY, status=TaskStatus(status), progress=progress,
                message=message, cluster=1)



def _follow(items: list, clock: FakeClock, **kw) -> Task:
    it = iter(items)

    def fetch() -> Task:
        item = next(it)
        if isinstance(item, Exception):
            raise item
        return item

    return waiting.follow(fetch, done=lambda t: t.done, state=waiting.task_state,
                          describe=waiting.describe_task(12), clock=clock, sleep=clock.sleep, **kw)


def test_returns_the_final_task_success_or_error() -> None:
    clock = FakeClock()
    final = _follow([_task(progress=10), _task(progress=50), _task("error", 100, "Node 'n1' failed")],
                    clock, deadline=clock.now + 60, poll=2)
    assert final.status is TaskStatus.ERROR and final.message == "Node 'n1' failed"
    assert clock.sleeps == [2, 2]


def test_on_progress_sees_each_change_once() -> None:
    clock, seen = FakeClock(), []
    _follow([_task(progress=10), _task(progress=10), _task(progress=40), _task("ready", 100)],
            clock, deadline=clock.now + 60, poll=1, on_progress=lambda t: seen.append(t.progress))
    assert seen == [10, 40, 100]


def test_polling_slows_down_while_nothing_changes_and_snaps_back() -> None:
    clock = FakeClock()
    items = [_task(progress=10)] * 6 + [_task(progress=20), _task("ready", 100)]
    _follow(items, clock, deadline=clock.now + 600, poll=2, max_poll=6)
    assert clock.sleeps[0] == 2 and max(clock.sleeps) == 6 and clock.sleeps[-1] == 2
    assert clock.sleeps == sorted(clock.sleeps[:-1]) + [2]


def test_deadline_raises_a_retryable_error_with_the_last_progress() -> None:
    clock = FakeClock()
    with pytest.raises(FuelError) as caught:
        _follow([_task(progress=p) for p in range(0, 100, 5)], clock, deadline=clock.now + 5, poll=2)
    assert "deploy #12 of environment 1 still running at" in str(caught.value)
    assert caught.value.retryable and clock.now == pytest.approx(105)


def test_never_sleeps_past_the_deadline() -> None:
    clock = FakeClock()
    with pytest.raises(FuelError):
        _follow([_task()] * 10, clock, deadline=clock.now + 3, poll=2)
    assert clock.sleeps == [2, 1]


def test_retryable_poll_errors_are_ridden_out() -> None:
    clock = FakeClock()
    flaky = FuelError("Cannot reach the Fuel master", retryable=True)
    final = _follow([_task(progress=10), flaky, flaky, _task("ready", 100)], clock,
                    deadline=clock.now + 60, poll=1)
    assert final.status is TaskStatus.READY


def test_deadline_after_errors_names_the_last_error() -> None:
    clock = FakeClock()
    flaky = FuelError("Cannot reach the Fuel master at http://m:8000", retryable=True)
    with pytest.raises(FuelError, match="last poll failed: Cannot reach"):
        _follow([_task(progress=10)] + [flaky] * 10, clock, deadline=clock.now + 4, poll=1)


def test_a_non_retryable_error_ends_the_wait() -> None:
    clock = FakeClock()
    gone = FuelError("Fuel master answered 404 to GET /api/tasks/12: Task not found", status=404)
    with pytest.raises(FuelError, match="Task not found"):
        _follow([_task(), gone], clock, deadline=clock.now + 60, poll=1)


def test_should_stop_returns_the_unfinished_task_promptly() -> None:
    clock = FakeClock()
    calls = iter([False, False, True])
    final = _follow([_task(progress=10), _task(progress=20), _task(progress=30)], clock,
                    deadline=clock.now + 600, poll=10, should_stop=lambda: next(calls, True))
    assert not final.done and final.progress in (10, 20)
    assert all(s <= 0.5 for s in clock.sleeps)  # sleeps are sliced so a stop is seen quickly


def test_runs_are_done_when_every_run_finished() -> None:
    clock = FakeClock()
    running = [TestRun(id=1, testset="sanity", cluster_id=1, status=TestRunStatus.FINISHED),
               TestRun(id=2, testset="smoke", cluster_id=1, status=TestRunStatus.RUNNING)]
    finished = [running[0], TestRun(id=2, testset="smoke", cluster_id=1, status=TestRunStatus.FINISHED)]
    it = iter([running, finished])
    runs = waiting.follow(lambda: next(it), done=lambda rs: all(r.finished for r in rs),
                          state=waiting.runs_state, describe=waiting.describe_runs(1),
                          deadline=clock.now + 60, clock=clock, sleep=clock.sleep)
    assert [r.status for r in runs] == [TestRunStatus.FINISHED] * 2
    assert "smoke" in waiting.describe_runs(1)(running)


def test_on_error_hears_the_first_error_of_each_outage() -> None:
    clock = FakeClock()
    heard: list[str] = []
    down = FuelError("Cannot reach the Fuel master", retryable=True)
    final = _follow([_task(progress=10), down, down, _task(progress=50), down, _task("ready", 100)], clock,
                    deadline=clock.now + 60, poll=1, on_error=lambda e: heard.append(str(e)))
    assert final.status is TaskStatus.READY
    assert heard == ["Cannot reach the Fuel master"] * 2


def test_with_a_pace_only_a_milestone_brings_fast_polling_back_while_every_change_is_told() -> None:
    clock, seen = FakeClock(), []
    creeping = [_task(progress=p) for p in range(1, 9)]           # the percentage moves on every poll
    _follow(creeping + [_task("ready", 100)], clock, deadline=clock.now + 600, poll=2, max_poll=6,
            pace=lambda t: t.status, on_progress=lambda t: seen.append(t.progress))
    assert seen == [1, 2, 3, 4, 5, 6, 7, 8, 100]                   # each one told ...
    assert clock.sleeps == [2, 3, 4.5, 6, 6, 6, 6, 6]               # ... while the polls slow down
    clock = FakeClock()
    halves = [_task(progress=10), _task(progress=20), _task(progress=30), _task(progress=60), _task(progress=70),
              _task("ready", 100)]
    _follow(halves, clock, deadline=clock.now + 600, poll=2, max_poll=6, pace=lambda t: t.progress // 50)
    assert clock.sleeps == [2, 3, 4.5, 2, 3]                        # past 50%: a milestone, fast again
