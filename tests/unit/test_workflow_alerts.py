"""One alert per change of a scheduled check's state, and none in between (the whole table)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from workflows.alerts import Alert, CheckState, CheckStatus, Unable, alert_for

T = datetime(2025, 3, 4, 9, 0, tzinfo=timezone.utc)


def _s(state: CheckState, *failing: str, reason: Unable | None = None, job: int = 1) -> CheckStatus:
    return CheckStatus(state=state, job_id=job, at=T, since=T, failing=failing, reason=reason)


PASS, FAIL_A, FAIL_AB = _s(CheckState.PASSING), _s(CheckState.FAILING, "a"), _s(CheckState.FAILING, "a", "b")
DOWN, GONE = _s(CheckState.UNABLE, reason=Unable.UNREACHABLE), _s(CheckState.UNABLE, reason=Unable.NOT_DEPLOYED)


@pytest.mark.parametrize(("previous", "current", "alert"), [
    (None, PASS, Alert.FIRST), (None, DOWN, Alert.FIRST),
    (PASS, PASS, None), (PASS, FAIL_A, Alert.CHANGED), (FAIL_A, FAIL_A, None), (FAIL_A, FAIL_AB, Alert.CHANGED),
    (FAIL_AB, _s(CheckState.FAILING, "b", "a"), None), (FAIL_A, PASS, Alert.CHANGED),
    (PASS, DOWN, Alert.UNABLE), (DOWN, DOWN, None), (DOWN, GONE, Alert.UNABLE), (FAIL_A, DOWN, Alert.UNABLE),
    (DOWN, PASS, Alert.RECOVERED), (GONE, FAIL_A, Alert.RECOVERED),
])
def test_an_alert_goes_out_once_per_change_of_state(previous: CheckStatus | None, current: CheckStatus,
                                                    alert: Alert | None) -> None:
    assert alert_for(previous, current) is alert


def test_the_state_survives_its_json_and_unknown_json_is_no_state() -> None:
    assert CheckStatus.from_json(FAIL_AB.to_json()) == FAIL_AB
    assert CheckStatus.from_json(DOWN.to_json()) == DOWN
    assert CheckStatus.from_json(None) is None and CheckStatus.from_json({"state": "on fire"}) is None
