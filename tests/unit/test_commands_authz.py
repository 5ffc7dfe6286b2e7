"""Roles, the policy file, and the permission matrix (each command × each role)."""
from __future__ import annotations

from pathlib import Path

import pytest

from commands.authz import Policy, required_role
from commands.roles import Role
from commands.catalog import COMMANDS
from commands.parser import parse
from core.errors import ConfigError, PermissionDenied
from core.mrkdwn import to_slack

EXAMPLE_POLICY = Path(__file__).resolve().parents[2] / "docs" / "policy.example.yaml"
V, O, A = Role.VIEWER, Role.OPERATOR, Role.ADMIN

MATRIX = [
    ("help", V, "Reading the help"),
    ("labs", V, "Listing labs"),
    ("status", V, "Checking status"),
    ("nodes lab1", V, "Listing nodes"),
    ("plan lab1", V, "Planning a deploy"),
    ("preflight lab1", V, "Fixing a lab's preflight findings"),
    ("preflight lab1 --fix", O, "Fixing a lab's preflight findings"),
    ("master lab1", V, "Setting up a lab's Fuel master"),
    ("master lab1 --fix", O, "Setting up a lab's Fuel master"),
    ("master lab1 --trust-key SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8", A,
     "Trusting a Fuel master's new SSH host key"),
    ("master lab1 --fix --trust-key MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48", A,
     "Trusting a Fuel master's new SSH host key"),
    ("deploy lab1", O, "Deploying a lab"),
    ("health lab1", V, "Running health checks"),
    ("reset lab1", O, "Resetting a lab"),
    ("destroy lab1", A, "Destroying a lab"),
    ("adopt lab1", A, "Adopting a lab's VMs"),
    ("jobs", V, "Listing jobs"),
    ("job 1", V, "Looking at a job"),
    ("cancel 1", O, "Cancelling a job"),
    ("digest", V, "Posting a digest"),
    ('schedule digest "0 9 * * mon-fri" UTC', O, "Scheduling a digest"),
    ('schedule health lab1 "0 9 * * mon-fri" UTC', O, "Scheduling health checks"),
    ("schedules", V, "Listing schedules"),
    ("unschedule 1", O, "Removing a schedule"),
    ("logs lab1 node-1 puppet --level error", V, "Reading logs"),
    ("diagnostic lab1", A, "Taking a diagnostic snapshot (its /etc/astute.yaml holds every password)"),
    ("audit lab1 --since 24h", A, "Reading the audit trail"),
    ("snooze 3 2h", O, "Snoozing alerts"),
    ("reserve lab1 2h", O, "Reserving a lab"),
    ("reserve lab1 2h --override", A, "Reserving a lab"),
    ("extend lab1 1h", O, "Extending a lease"),
    ("release lab1", O, "Releasing a lab"),
    ("snapshot lab1", O, "Snapshotting a lab"),
    ("snapshots lab1", V, "Listing snapshots"),
    ("rollback lab1 before-upgrade", O, "Rolling back a lab"),
    ("approve 4", O, "Approving a request"),
    ("backup-master lab1", O, "Backing up a Fuel master"),
    ("backups lab1", V, "Listing a Fuel master's backups"),
]
PEOPLE = {V: "U0VIEWER", O: "U0OPERATOR", A: "U0ADMIN"}


@pytest.fixture
def policy() -> Policy:
    return Policy(users={"U0OPERATOR": O}, admins=frozenset({"U0ADMIN"}))


def test_matrix_covers_every_command() -> None:
    assert {type(parse(text)) for text, _, _ in MATRIX} == set(COMMANDS)


@pytest.mark.parametrize("role", [V, O, A], ids=lambda r: r.label)
@pytest.mark.parametrize(("text", "needed", "activity"), MATRIX, ids=[t[:30] for t, _, _ in MATRIX])
def test_permission_matrix(policy: Policy, text: str, needed: Role, activity: str, role: Role) -> None:
    command = parse(text)
    assert required_role(command) is needed
    if role >= needed:
        assert policy.authorize(command, user_id=PEOPLE[role], channel_id="C0LAB") is role
        return
    with pytest.raises(PermissionDenied) as denied:
        policy.authorize(command, user_id=PEOPLE[role], channel_id="C0LAB")
    assert to_slack(str(denied.value)) == (f"{activity} needs the *{needed.label}* role; you have *{role.label}*. "
                                 "Admins: <@U0ADMIN>.")


def test_no_policy_file_everyone_viewer_admins_admin() -> None:
    policy = Policy.load(None, frozenset({"U0CAROL"}))
    assert policy.role_for("U0ANYONE", "C0LAB", frozenset()) is V
    assert policy.role_for("U0CAROL", "C0LAB", frozenset()) is A
    assert not policy.needs_groups
    with pytest.raises(PermissionDenied) as denied:
        policy.authorize(parse("destroy lab1"), user_id="U0ANYONE", channel_id="C0LAB")
    assert to_slack(str(denied.value)) == ("Destroying a lab needs the *admin* role; you have *viewer*. "
                                           "Admins: <@U0CAROL>.")


def test_no_admins_at_all_says_so() -> None:
    with pytest.raises(PermissionDenied, match=r"No admins are set \(FUELBOT_ADMINS\)"):
        Policy.load(None, frozenset()).authorize(parse("deploy lab1"), user_id="U0X")


def test_highest_grant_wins(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("users: {U0ALICE: operator, U0BOSS: admin}\ngroups: {S0OPS: admin}\n"
                    "channels: {C0LAB: operator}\ndefault: viewer\n")
    policy = Policy.load(path, frozenset({"U0ROOT"}))
    assert policy.needs_groups
    assert policy.role_for("U0ALICE", "C0OTHER", frozenset()) is O
    assert policy.role_for("U0BOB", "C0OTHER", frozenset()) is V
    assert policy.role_for("U0BOB", "C0LAB", frozenset()) is O                 # the channel grants operator
    assert policy.role_for("U0BOB", "C0OTHER", frozenset({"S0OPS", "S0X"})) is A
    assert policy.role_for("U0ROOT", None, frozenset()) is A
    assert [to_slack(m) for m in policy.admin_mentions()] == ["<@U0BOSS>", "<@U0ROOT>", "<!subteam^S0OPS>"]


def test_denial_points_at_the_channel_that_grants_the_role() -> None:
    policy = Policy(channels={"C0LAB": O}, admins=frozenset({"U0ROOT"}))
    with pytest.raises(PermissionDenied) as denied:
        policy.authorize(parse("deploy lab1"), user_id="U0BOB", channel_id="C0RANDOM")
    assert "Everyone in <#C0LAB> has it." in to_slack(str(denied.value))


def test_default_can_raise_everyone(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("default: operator\n")
    assert Policy.load(path, frozenset()).role_for("U0ANY", "C0ANY", frozenset()) is O


def test_example_policy_is_valid() -> None:
    policy = Policy.load(EXAMPLE_POLICY, frozenset())
    assert policy.users and policy.groups and policy.channels


@pytest.mark.parametrize(("content", "fragment"), [
    ("users: [U0ALICE]", "users must map ids to roles"),
    ("users: {alice: operator}", "users: 'alice' is not a Slack user id (U… or W…); names can change"),
    ("groups: {'@ops': admin}", "groups: '@ops' is not a Slack user-group id (S…)"),
    ("channels: {'#lab': operator}", "channels: '#lab' is not a Slack channel id"),
    ("users: {U0ALICE: root}", "users.U0ALICE: 'root' is not a role (allowed: viewer, operator, admin)"),
    ("default: superuser", "default: 'superuser' is not a role"),
    ("admins: [U0ALICE]", "unknown key(s) admins"),
    ("- just a list", "expected a mapping"),
    ("users: {U0A: operator", "is not valid YAML at line"),
])
def test_invalid_policy_names_file_and_problem(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError) as error:
        Policy.load(path, frozenset())
    assert str(path) in str(error.value)
    assert fragment in str(error.value)


def test_missing_policy_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        Policy.load(tmp_path / "nope.yaml", frozenset())


def test_empty_policy_file_means_defaults(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("# nothing yet\n")
    assert Policy.load(path, frozenset()).role_for("U0X", "C0X", frozenset()) is V
