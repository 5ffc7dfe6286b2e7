"""Signed job page links: made and checked with the same key; forged, tampered or expired ones refused."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from core.errors import ConfigError
from core.job_links import JobLinks, LinkRefused
from core.settings import Settings

LINKS = JobLinks(base_url="https://fuelbot.example.com/", key="k" * 32, ttl_seconds=3600)


def _query(url: str) -> str:
    return urlsplit(url).query


def test_a_link_opens_its_job_until_it_expires() -> None:
    url = LINKS.link(12, now=1000.0)
    assert url.startswith("https://fuelbot.example.com/jobs/12?expires=4600&sig=")
    LINKS.check(12, _query(url), now=4600.0)
    with pytest.raises(LinkRefused) as late:
        LINKS.check(12, _query(url), now=4601.0)
    assert late.value.expired and "expired on 1970-01-01 01:16 UTC" in str(late.value)


@pytest.mark.parametrize("tamper", [
    lambda q: q.replace("expires=4600", "expires=9999"),                      # a longer life
    lambda q: q[:-1] + ("0" if q[-1] != "0" else "1"),                        # a changed signature
    lambda q: q.split("&sig=")[0],                                            # no signature
    lambda q: "",                                                             # nothing
    lambda q: q.replace("expires=4600", "expires=soon")])
def test_a_tampered_link_is_refused_as_invalid_not_expired(tamper) -> None:
    query = _query(LINKS.link(12, now=1000.0))
    with pytest.raises(LinkRefused) as refused:
        LINKS.check(12, tamper(query), now=1000.0)
    assert not refused.value.expired


def test_a_link_opens_no_other_job_and_no_other_key_makes_one() -> None:
    query = _query(LINKS.link(12, now=1000.0))
    with pytest.raises(LinkRefused, match="signature does not match"):
        LINKS.check(13, query, now=1000.0)
    forger = JobLinks(base_url="https://fuelbot.example.com", key="x" * 32)
    with pytest.raises(LinkRefused):
        LINKS.check(12, _query(forger.link(12, now=1000.0)), now=1000.0)


def test_settings_give_links_only_with_a_real_key() -> None:
    assert Settings.from_env({}).job_links() is None
    links = Settings.from_env({"FUELBOT_JOB_LINK_KEY": "a" * 32, "PORT": "8080"}).job_links()
    assert links is not None and links.base_url == "http://localhost:8080" and links.ttl_seconds == 7 * 24 * 3600
    public = Settings.from_env({"FUELBOT_JOB_LINK_KEY": "a" * 32, "FUELBOT_PUBLIC_URL": "https://bot.example/",
                                "FUELBOT_JOB_LINK_TTL": "600"}).job_links()
    assert public is not None and (public.base_url, public.ttl_seconds) == ("https://bot.example", 600.0)
    assert "a" * 32 not in repr(Settings.from_env({"FUELBOT_JOB_LINK_KEY": "a" * 32}))
    with pytest.raises(ConfigError, match="at least 16 characters"):
        Settings.from_env({"FUELBOT_JOB_LINK_KEY": "short"})
    with pytest.raises(ConfigError, match="FUELBOT_PUBLIC_URL"):
        Settings.from_env({"FUELBOT_PUBLIC_URL": "fuelbot.example.com"})
