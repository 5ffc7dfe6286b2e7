"""``python -m sim.fuel``: run a simulated Fuel 6.0 master until interrupted.

    python -m sim.fuel --port 8000 --speed 1 \
        --vcenter-url http://127.0.0.1:8989/sdk --vcenter-user fuelbot \
        --vcenter-password-env VCENTER_PASSWORD --pxe-portgroup pxe

Passwords are read from environment variables named on the command line, never from it.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from typing import Mapping, Sequence

from sim.fuel.config import SimConfig
from sim.fuel.simulator import FuelSimulator


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    # allow_abbrev=False: "--vcenter-password X" must not pass as an abbreviation of --vcenter-password-env
    parser = argparse.ArgumentParser(prog="python -m sim.fuel", description=__doc__.split("\n")[0],
                                     allow_abbrev=False)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000, 0 = any)")
    parser.add_argument("--ssh-port", type=int, default=8022, help="the master's sshd port (default 8022, 0 = any)")
    parser.add_argument("--master-vm", help="the VM in the watched vCenter that is this master (it installs "
                                             "from the ISO, boots from its disk, is down while the VM is off)")
    parser.add_argument("--install-time", type=float, default=None,
                        help="simulated seconds from the ISO's menu to the API (default 1800)")
    parser.add_argument("--not-installed", action="store_true",
                        help="start as a fresh ISO install (the API answers after --install-time)")
    parser.add_argument("--speed", type=float, default=None,
                        help="simulated seconds per wall second (default $FUELSIM_SPEED or 1)")
    parser.add_argument("--vcenter-url", help="vCenter SDK URL to discover PXE-booting VMs from")
    parser.add_argument("--vcenter-user", help="vCenter user")
    parser.add_argument("--vcenter-password-env", metavar="VAR", help="environment variable holding the password")
    parser.add_argument("--pxe-portgroup", default="pxe", help="port group nodes PXE-boot from (default pxe)")
    parser.add_argument("--admin-user", default="admin", help="Fuel UI/API user (default admin)")
    parser.add_argument("--admin-password-env", metavar="VAR",
                        help="environment variable holding the Fuel admin password (default: admin)")
    parser.add_argument("--token-ttl", type=float, default=3600.0, help="Keystone token life, seconds")
    parser.add_argument("--boot-delay", type=float, default=None, help="simulated seconds from power-on to discovery")
    parser.add_argument("--no-auth", action="store_true", help="serve without Keystone (auth_required false)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    return parser.parse_args(argv)


def config_from(args: argparse.Namespace, environ: Mapping[str, str]) -> SimConfig:
    """Build the configuration; secrets come from the environment variables the flags name."""
    def secret(var: str | None, what: str) -> str | None:
        if var is None:
            return None
        if not environ.get(var):
            raise SystemExit(f"error: {what}: environment variable {var} is not set")
        return environ[var]

    return SimConfig.from_env(
        environ, speed=args.speed, vcenter_url=args.vcenter_url, vcenter_user=args.vcenter_user,
        vcenter_password=secret(args.vcenter_password_env, "--vcenter-password-env"),
        pxe_portgroup=args.pxe_portgroup, admin_user=args.admin_user,
        admin_password=secret(args.admin_password_env, "--admin-password-env"), token_ttl=args.token_ttl,
        boot_delay=args.boot_delay, auth_required=False if args.no_auth else None, master_vm=args.master_vm,
        install_time=args.install_time, installed=False if args.not_installed else None)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = config_from(args, os.environ)
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    simulator = FuelSimulator(config)
    simulator.start(host=args.host, port=args.port, ssh_port=args.ssh_port)
    print(simulator.url, flush=True)
    print(f"ssh -p {simulator.ssh_port} root@{args.host}", flush=True)
    logging.getLogger("fuelsim").info("Fuel 6.0 simulator at %s (speed %s, admin user %s%s)", simulator.url,
                                      config.speed, config.admin_user,
                                      f", watching {config.vcenter_url}" if config.vcenter_url else "")
    try:
        while not stopped.wait(0.2):  # a bounded wait lets the signal handler's flag be seen at once
            pass
    finally:
        simulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
