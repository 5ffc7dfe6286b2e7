"""The CLI is a thin layer over SimConfig: flags, environment, secrets only from variables."""
from __future__ import annotations

import pytest

from sim.fuel.__main__ import config_from, parse_args


def test_flags_and_environment() -> None:
    args = parse_args(["--port", "8000", "--speed", "3", "--vcenter-url", "http://127.0.0.1:8989/sdk",
                       "--vcenter-user", "fuelbot", "--vcenter-password-env", "VC_PASS", "--pxe-portgroup", "fuel-pxe"])
    config = config_from(args, {"VC_PASS": "s3cret", "FUELSIM_SPEED": "9"})
    assert (config.speed, config.vcenter_user, config.vcenter_password, config.pxe_portgroup) == (
        3.0, "fuelbot", "s3cret", "fuel-pxe")
    assert "s3cret" not in repr(config)


def test_speed_from_the_environment_and_defaults() -> None:
    config = config_from(parse_args([]), {"FUELSIM_SPEED": "25"})
    assert config.speed == 25.0 and config.admin_user == "admin" and config.admin_password == "admin"
    assert config.vcenter_url is None and config.auth_required is True
    assert config_from(parse_args(["--no-auth"]), {}).auth_required is False


def test_a_named_but_missing_password_variable_is_an_error() -> None:
    with pytest.raises(SystemExit, match="VC_PASS is not set"):
        config_from(parse_args(["--vcenter-password-env", "VC_PASS"]), {})


def test_there_is_no_password_flag() -> None:
    with pytest.raises(SystemExit):
        parse_args(["--vcenter-password", "oops"])
