"""Lab specs read only the variables an admin allows, never fuelbot's own, and never show a value."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import SpecError
from core.settings import DEFAULT_SPEC_VARIABLES, Settings
from labspec.loader import load_lab, parse_lab
from labspec.variables import SpecEnvironment

LABS = Path(__file__).resolve().parents[2] / "labs"
LAB1 = (LABS / "lab1.yaml").read_text()


def problems(text: str, environ) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_lab(text, source="lab1.yaml", environ=environ)
    return [f"{p.path}: {p.message}" for p in caught.value.problems]


@pytest.mark.parametrize("reference", ["${SLACK_SIGNING_SECRET}", "${SLACK_SIGNING_SECRET:-x}", "${DATABASE_URL}",
                                       "${FUELBOT_JOB_LINK_KEY}", "${SLACK_BOT_TOKEN:-}"])
def test_fuelbots_own_variables_are_never_readable_whatever_the_allow_list(reference: str) -> None:
    environ = SpecEnvironment({"SLACK_SIGNING_SECRET": "sig-canary-123", "DATABASE_URL": "sqlite://",
                               "FUELBOT_JOB_LINK_KEY": "k" * 20, "SLACK_BOT_TOKEN": "xoxb-1"}, allowed=("*",))
    text = LAB1.replace("${FUEL_PASSWORD:-admin}", reference)
    found = problems(text, environ)
    name = reference[2:].split(":")[0].rstrip("}")
    assert found == [f"fuel.password: ${{{name}}} is fuelbot's own setting, which a lab spec may never read"]
    assert "sig-canary-123" not in " ".join(found)


def test_a_variable_outside_the_allow_list_is_refused_with_the_setting_to_change() -> None:
    environ = SpecEnvironment({"AWS_SECRET_ACCESS_KEY": "aws-canary"}, allowed=DEFAULT_SPEC_VARIABLES)
    found = problems(LAB1.replace("${LAB1_SYSLOG_HOST:-10.0.0.5}", "${AWS_SECRET_ACCESS_KEY:-10.0.0.5}"), environ)
    assert found == ["environment.settings.syslog_host: ${AWS_SECRET_ACCESS_KEY} is not a variable lab specs may "
                     "read (FUELBOT_SPEC_VARIABLES allows VCENTER_*, FUEL_*, OPENSTACK_*, ZABBIX_*, LAB*_*; "
                     "an admin can add it there)"]


def test_the_default_allow_list_keeps_the_shipped_labs_working() -> None:
    environ = SpecEnvironment({"VCENTER_URL": "https://vc.example.com/sdk", "FUEL_PASSWORD": "fuel-pw-123",
                               "LAB2_CHANNEL": "C0LAB2"}, allowed=Settings.from_env({}).spec_variables)
    assert load_lab(LABS / "lab1.yaml", environ).vcenter.url == "https://vc.example.com/sdk"
    lab2 = load_lab(LABS / "lab2.yaml", environ)
    assert (lab2.channel, lab2.fuel.password) == ("C0LAB2", "fuel-pw-123")


def test_the_allow_list_is_a_setting_of_names_and_patterns() -> None:
    settings = Settings.from_env({"FUELBOT_SPEC_VARIABLES": "VCENTER_*, MY_LAB_SECRET"})
    environ = SpecEnvironment({"MY_LAB_SECRET": "v", "MY_OTHER": "w"}, allowed=settings.spec_variables)
    assert (environ.refusal("MY_LAB_SECRET"), environ.refusal("VCENTER_URL")) == (None, None)
    assert environ.refusal("MY_OTHER") is not None and environ.refusal("FUEL_URL") is not None
    assert dict(environ) == {"MY_LAB_SECRET": "v"} and "MY_OTHER" not in environ


def test_a_field_that_fails_is_shown_by_its_reference_never_its_value() -> None:
    environ = {"VCENTER_URL": "https://fuelbot:Pw-in-URL-42@vc.example.com:99999/sdk"}
    found = problems(LAB1, environ)
    assert found == ["vcenter.url: '${VCENTER_URL:-http://127.0.0.1:8989/sdk}' (its value is not shown) is not "
                     "an http(s) URL (expected e.g. https://vc.example.com/sdk)"]


@pytest.mark.parametrize(("url", "allow", "refused"), [
    ("http://10.20.0.2:8000", False, False),          # Fuel 6.0's default admin address: plain http is all it has
    ("http://127.0.0.1:8000", False, False),
    ("http://172.16.0.2:8000", False, False),
    ("http://192.168.0.2:8000", False, False),
    ("https://fuel.example.com:8443", False, False),
    ("http://fuel.example.com:8000", False, True),    # a name may point anywhere
    ("http://93.184.216.34:8000", False, True),       # a public address
    ("http://fuel.example.com:8000", True, False),    # said explicitly
])
def test_plain_http_to_the_fuel_master_only_on_a_lab_network_or_when_allowed(url: str, allow: bool,
                                                                             refused: bool) -> None:
    text = LAB1.replace("${FUEL_URL:-http://127.0.0.1:8000}", url)
    if allow:
        text = text.replace("  password: ${FUEL_PASSWORD:-admin}\n", "  password: ${FUEL_PASSWORD:-admin}\n"
                                                                      "  allow_http: true\n")
    if not refused:
        assert parse_lab(text, source="lab1.yaml", environ={}).fuel.allow_http is allow
        return
    [problem] = problems(text, {})
    assert problem.startswith("fuel.url: plain http:// would send the Fuel password unencrypted")
    assert "fuel.allow_http: true" in problem
