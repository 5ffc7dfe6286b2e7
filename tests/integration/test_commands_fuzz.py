"""Whatever anyone types or whatever a button carries, the command layer answers with a Reply."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands.api import ActionInvocation, CommandServices, Invocation, Reply
from commands.authz import Policy
from commands.roles import Role
from commands.catalog import COMMANDS
from commands.handlers import handle, handle_action
from core.buttons import ButtonAction
from tests.integration.test_commands_handlers import ALICE, BOB, BROKEN, CAROL, catalog

WORDS = sorted({c.name.split()[0] for c in COMMANDS} | {c.name.split()[-1] for c in COMMANDS})
NASTY = ["lab1", "lab2", "lab9", "#1", "1", "0", "-1", "--fix", "--lab", "--channel", "--mention", "--skip-health",
         "“", "”", "‘", "'", '"', "`", "<!channel>", "<@U1>", "\x00", "\u00a0", "—fix", "*/5", "* * * * *",
         '"0 9 * * mon-fri"', "Europe/Paris", "UTC", "2147483648", "smoke", "ha", "DROP TABLE jobs;", "-h"]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

texts = st.one_of(
    st.text(max_size=80),
    st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(NASTY), st.text(max_size=12)), max_size=7)
      .map(" ".join),
)
people = st.sampled_from([ALICE, BOB, CAROL])


def _services(sessions) -> CommandServices:
    return CommandServices(session_factory=sessions, labs=catalog("lab1", "lab2", problems=BROKEN),
                           policy=Policy(users={ALICE: Role.OPERATOR}, admins=frozenset({CAROL})))


@FUZZ
@given(text=texts, user=people, delivery=st.one_of(st.none(), st.text(min_size=1, max_size=200)))
def test_any_text_gets_an_ephemeral_reply(sessions, text: str, user: str, delivery: str | None) -> None:
    reply = handle(Invocation(user_id=user, channel_id="C0LAB", text=text, delivery_id=delivery), _services(sessions))
    assert isinstance(reply, Reply) and reply.ephemeral and reply.text


@FUZZ
@given(action_id=st.one_of(st.sampled_from(sorted(ButtonAction)), st.text(max_size=20)),
       value=st.one_of(st.sampled_from(NASTY), st.text(max_size=20)), user=people)
def test_any_click_gets_an_ephemeral_reply(sessions, action_id: str, value: str, user: str) -> None:
    reply = handle_action(ActionInvocation(user_id=user, channel_id="C0LAB", action_id=action_id, value=value),
                          _services(sessions))
    assert isinstance(reply, Reply) and reply.ephemeral and reply.text
