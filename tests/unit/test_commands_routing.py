"""commands.routing: where a job's thread goes when it was asked for where fuelbot cannot post."""
from __future__ import annotations

import pytest

from core.mrkdwn import to_slack
from commands.routing import job_channel, queued_elsewhere


@pytest.mark.parametrize("typed_in, direct, lab_channel, expected", [
    ("C0LAB", False, "C0OTHER", "C0LAB"),        # a channel: the thread goes where the command was typed
    ("G0PRIV", False, None, "G0PRIV"),           # a private channel: there too (the outbox finds out if it can)
    ("D0DM", True, "C0LAB", "C0LAB"),            # a DM: the lab's own channel
    ("G0MPIM", True, "C0LAB", "C0LAB"),          # a group DM: the same
    ("D0DM", True, None, "@U0ALICE"),            # no lab channel (digest of all labs): the DM with fuelbot
    ("D0DM", True, "lab", "@U0ALICE"),           # a channel name is not an id (check-lab warns about it)
])
def test_where_a_job_posts(typed_in: str, direct: bool, lab_channel: str | None, expected: str) -> None:
    assert job_channel(typed_in=typed_in, direct=direct, user_id="U0ALICE", lab_channel=lab_channel) == expected


def test_the_ack_says_where_to_follow() -> None:
    assert to_slack(queued_elsewhere("Deploy of *lab1*", 12, "C0LAB")) == (
        "Deploy of *lab1* queued as job *#12*. fuelbot cannot post here, so follow it in <#C0LAB>.")
    assert "your DM with fuelbot" in queued_elsewhere("Digest of all labs", 3, "@U0ALICE")
