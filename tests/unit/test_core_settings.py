"""Settings read from the environment."""
from __future__ import annotations

from core.settings import Settings


def test_the_http_listener_takes_every_address_unless_told_one() -> None:
    assert (Settings.from_env({}).http_host, Settings.from_env({}).port) == ("0.0.0.0", 3000)
    behind_a_proxy = Settings.from_env({"FUELBOT_HTTP_HOST": "127.0.0.1", "PORT": "0"})
    assert (behind_a_proxy.http_host, behind_a_proxy.port) == ("127.0.0.1", 0)
