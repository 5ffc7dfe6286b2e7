"""The fuelbot console: a Slack channel in a terminal, wired to the real bot over HTTP.

Type ``/fuel deploy lab1`` (or ``fuel deploy lab1``): the console builds the slash command's
form body exactly as Slack does, signs it with the signing secret and POSTs it to the bot's
``/slack/events``: Bolt's verification, the listeners and the handlers all run as in
production. The bot's HTTP answer is shown the way Slack shows it; everything else (the
outbox's posts, thread replies, edits, ``response_url`` answers) arrives through LocalSlack,
and a background thread prints it as it happens. ``!1`` clicks button 1 (a signed
``block_actions`` payload); ``show`` redraws the whole channel; ``help``; ``quit``.
Works with piped stdin: lines are read and answered one at a time.
"""
from __future__ import annotations

import threading
import time
from typing import TextIO

from sim.console.view import ChannelView
from sim.slack.workspace import LocalSlack
from sim.slack.signing import SlackHttpResponse, block_actions_form, post_signed, slash_command_form

SLACK_TIMEOUT = 3.0       # past this Slack shows "operation_timeout" instead of the answer
SETTLE_LIMIT = 3.0        # the longest a line waits for the bot's follow-ups before the next is read
HELP = """\
  /fuel <command>    run a fuelbot command (also: fuel <command>); /fuel help lists them
  !<n>               click button n, shown as [n Label]
  show               redraw the whole channel, threads beneath their parents
  help               this text
  quit               leave (also: exit, Ctrl-D)"""


class Console:
    """A terminal user in one channel, talking to the bot at ``events_url`` through signed requests."""

    def __init__(self, *, local_slack: LocalSlack, events_url: str, signing_secret: str,
                 user_id: str = "U0CONSOLE", channel_id: str = "C0LAB", channel_name: str = "lab",
                 settle_seconds: float = 0.6) -> None:
        self._slack = local_slack
        self._events_url = events_url
        self._secret = signing_secret
        self._user_id = user_id
        self._channel_id = channel_id
        self._channel_name = channel_name
        self._settle = settle_seconds
        self._view = ChannelView(user_id=user_id, bot_user_id=local_slack.bot_user_id)
        self._out: TextIO | None = None
        self._lock = threading.RLock()   # redraws come from two threads; print each change once, in order
        self._stop = threading.Event()

    def run(self, input_stream: TextIO, output_stream: TextIO) -> None:
        """Read lines until ``quit`` or end of input; print the channel as it changes."""
        self._out = output_stream
        self._write([f"fuelbot console: you are @{self._user_id} in #{self._channel_name}. "
                     "Type /fuel help, or help for the console's own keys."])
        self.redraw()
        watcher = threading.Thread(target=self._watch, name="console-redraw", daemon=True)
        watcher.start()
        try:
            for raw in iter(input_stream.readline, ""):
                if not self.handle_line(raw.strip(), input_stream):
                    break
        finally:
            self._stop.set()
            watcher.join(timeout=2)
            self.redraw()

    def handle_line(self, line: str, input_stream: TextIO) -> bool:
        """Act on one typed line; False means quit."""
        if not line:
            return True
        if line in ("quit", "exit"):
            return False
        if line == "help":
            self._write(HELP.splitlines())
        elif line == "show":
            with self._lock:
                self._write(self._view.full(self._slack.channel(self._channel_id)))
        elif line.startswith("!") or line.split(" ", 1)[0] in ("/fuel", "fuel"):
            if line.startswith("!"):
                self._click(line[1:].strip(), input_stream)
            else:
                self._command(line.split(" ", 1)[1] if " " in line else "")
            self._settle_channel()
            self.redraw()
        else:
            self._write(["  (type /fuel <command>, !<n> to click a button, help or quit)"])
        return True

    def _settle_channel(self) -> None:
        # The outbox posts a beat after the ack; wait until the channel is quiet so that a piped
        # script's next line (``!1``) sees the buttons a person would have seen by then.
        deadline = time.monotonic() + SETTLE_LIMIT
        version = self._slack.version
        while time.monotonic() < deadline:
            current = self._slack.wait_for_change(version, timeout=self._settle)
            if current == version:
                return
            version = current

    def redraw(self) -> None:
        """Print whatever changed in the channel since the last redraw."""
        with self._lock:
            self._write(self._view.changes(self._slack.channel(self._channel_id)))

    def _watch(self) -> None:
        version = self._slack.version
        while not self._stop.is_set():
            current = self._slack.wait_for_change(version, timeout=0.25)
            if current != version and not self._stop.is_set():
                version = current
                self.redraw()

    def _command(self, text: str) -> None:
        self._write([f"› /fuel {text}".rstrip()])
        response_url = self._slack.new_response_url(channel=self._channel_id, user=self._user_id)
        body = slash_command_form(text=text, user_id=self._user_id, channel_id=self._channel_id,
                                  channel_name=self._channel_name, team_id=self._slack.team_id,
                                  response_url=response_url)
        response = self._post(body)
        if response is None:
            return
        self._slack.show_command_response(channel=self._channel_id, user=self._user_id,
                                          command=f"/fuel {text}", response=response.json() if response.body else None)

    def _click(self, number: str, input_stream: TextIO) -> None:
        ref = self._view.button(int(number)) if number.isdigit() else None
        snapshot = self._slack.channel(self._channel_id)
        if ref is None or not self._view.has_button(snapshot, ref):
            self._write([f"  (there is no button {number} any more)"])
            return
        label = ref.element.get("text", {}).get("text", "?")
        confirm = ref.element.get("confirm")
        if confirm:
            self._write([f"  {confirm['title']['text']} {confirm['text']['text']} "
                         f"[y = {confirm['confirm']['text']} / n = {confirm['deny']['text']}]"])
            if input_stream.readline().strip().lower() not in ("y", "yes"):
                self._write(["  (not clicked)"])
                return
        self._write([f"› clicked [{ref.number} {label}]"])
        message = None
        if not ref.ephemeral:
            shown = snapshot.message(ref.item)
            message = {"type": "message", "ts": ref.item, "text": shown.text if shown else "",
                       "blocks": list(shown.blocks) if shown else [], "user": self._slack.bot_user_id}
        response_url = self._slack.new_response_url(channel=self._channel_id, user=self._user_id, origin=ref.item)
        body = block_actions_form(user_id=self._user_id, channel_id=self._channel_id,
                                  channel_name=self._channel_name, team_id=self._slack.team_id,
                                  action=ref.element, block_id=ref.block_id, response_url=response_url,
                                  message=message, ephemeral=ref.ephemeral)
        self._post(body)

    def _post(self, body: str) -> SlackHttpResponse | None:
        try:
            response = post_signed(self._events_url, body, secret=self._secret, timeout=10.0)
        except OSError as exc:
            self._write([f"  ⚠ fuelbot did not answer ({type(exc).__name__}); Slack would say "
                         "\"dispatch_failed\"."])
            return None
        if response.status != 200:
            self._write([f"  ⚠ Slack would say: failed with the error \"dispatch_failed\" (HTTP {response.status})"])
            return None
        if response.elapsed > SLACK_TIMEOUT:
            self._write([f"  ⚠ Slack would say: failed with the error \"operation_timeout\" "
                         f"({response.elapsed:.1f}s)"])
            return None
        return response

    def _write(self, lines: list[str]) -> None:
        if not lines or self._out is None:
            return
        with self._lock:
            self._out.write("\n".join(lines) + "\n")
            self._out.flush()
