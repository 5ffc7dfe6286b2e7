"""Build the vcsim binary from this folder's Go files (``main.go`` and its overrides) against
Debian's govmomi sources.

The build lands in ``build/vcsim/vcsim`` (git-ignored) and is redone only when the sha256 of the
Go files differs from the stamp written beside the binary. A file lock makes concurrent callers
(pytest-xdist workers, the bot and a test run) wait for one build instead of racing.
Run ``python -m sim.vcenter.build`` to build ahead of time.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from core.errors import VSphereError

APT_PACKAGES = ("golang-go", "golang-github-vmware-govmomi-dev")
GOPATH = Path("/usr/share/gocode")
SIMULATOR_SOURCE = GOPATH / "src/github.com/vmware/govmomi/simulator"
SOURCE_DIR = Path(__file__).parent
MAIN_GO = SOURCE_DIR / "main.go"
DEFAULT_BUILD_DIR = Path(__file__).resolve().parents[2] / "build" / "vcsim"
_APT_FIX = f"run as root: apt-get install -y {' '.join(APT_PACKAGES)}"
_OUTPUT_TAIL = 2000


def ensure_vcsim_binary(build_dir: Path | None = None) -> Path:
    """Return the path of an up-to-date vcsim binary, installing Go and building when needed."""
    build_dir = build_dir or DEFAULT_BUILD_DIR
    build_dir.mkdir(parents=True, exist_ok=True)
    binary = build_dir / "vcsim"
    stamp = build_dir / "main.go.sha256"
    digest = source_digest()
    with open(build_dir / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if _is_current(binary, stamp, digest):
            return binary
        go = _ensure_toolchain()
        _compile(go, binary, build_dir)
        # The binary is replaced before the stamp, so a matching stamp always means a whole binary.
        tmp_stamp = stamp.with_suffix(".tmp")
        tmp_stamp.write_text(digest + "\n")
        os.replace(tmp_stamp, stamp)
    return binary


def go_sources() -> list[Path]:
    """Every Go file of the simulator's ``main`` package (tests excluded), in a stable order."""
    return sorted(p for p in SOURCE_DIR.glob("*.go") if not p.name.endswith("_test.go"))


def source_digest() -> str:
    digest = hashlib.sha256()
    for path in go_sources():
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _is_current(binary: Path, stamp: Path, digest: str) -> bool:
    try:
        recorded = stamp.read_text().strip()
    except FileNotFoundError:
        return False
    return recorded == digest and binary.is_file() and os.access(binary, os.X_OK)


def _find_go() -> str | None:
    return shutil.which("go") or next(
        (str(p) for p in (Path("/usr/lib/go/bin/go"), Path("/usr/local/go/bin/go")) if p.is_file()), None)


def _ensure_toolchain() -> str:
    go = _find_go()
    if go and SIMULATOR_SOURCE.is_dir():
        return go
    if os.geteuid() != 0:
        raise VSphereError(
            "cannot build the embedded vCenter simulator: Go or the govmomi sources are missing "
            "and installing them needs root", obj="vcsim", fix=_APT_FIX)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", *APT_PACKAGES]
    result = _run(install, env=env, timeout=1800)
    if result.returncode != 0:
        # A fresh machine (a CI container) often has empty package lists: refresh once and retry.
        _run(["apt-get", "update"], env=env, timeout=600)
        result = _run(install, env=env, timeout=1800)
    go = _find_go()
    if result.returncode != 0 or not go or not SIMULATOR_SOURCE.is_dir():
        raise VSphereError(
            f"apt-get could not install {' '.join(APT_PACKAGES)} (exit {result.returncode}): "
            f"{result.stdout[-_OUTPUT_TAIL:]}", obj="vcsim", fix=_APT_FIX)
    return go


def _compile(go: str, binary: Path, build_dir: Path) -> None:
    env = {**os.environ, "GO111MODULE": "off", "GOPATH": str(GOPATH), "GOFLAGS": ""}
    if not any(env.get(k) for k in ("GOCACHE", "XDG_CACHE_HOME", "HOME")):
        env["GOCACHE"] = str(build_dir / "gocache")  # go refuses to build without a cache dir
    partial = build_dir / "vcsim.partial"
    result = _run([go, "build", "-o", str(partial), *(p.name for p in go_sources())], env=env, timeout=900,
                  cwd=SOURCE_DIR)
    if result.returncode != 0:
        raise VSphereError(
            f"go build of {SOURCE_DIR}/*.go failed (exit {result.returncode}): {result.stdout[-_OUTPUT_TAIL:]}",
            obj=str(SOURCE_DIR), fix="check that golang-github-vmware-govmomi-dev matches the Go files' imports")
    os.replace(partial, binary)


def _run(argv: list[str], *, env: dict[str, str], timeout: float,
         cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(argv, env=env, cwd=cwd, timeout=timeout, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise VSphereError(f"{argv[0]} could not run: {exc}", obj="vcsim", fix=_APT_FIX) from exc


if __name__ == "__main__":
    try:
        print(ensure_vcsim_binary())
    except VSphereError as err:
        print(err, file=sys.stderr)
        sys.exit(1)
