"""`make demo` end to end: `python app.py console` in a subprocess, its job page links working in a browser's stead."""
from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"Job page \((http://127\.0\.0\.1:\d+/jobs/\d+\?expires=\d+&sig=[0-9a-f]+)\)")


def test_the_console_prints_job_page_links_that_open(tmp_path: Path, vcsim_binary) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}", "FUELBOT_LOG_LEVEL": "WARNING"}
    env.pop("FUELBOT_JOB_LINK_KEY", None)     # the console makes its own key: links work out of the box
    console = subprocess.Popen([sys.executable, "app.py", "console", "--speed", "20"], cwd=ROOT, env=env,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in console.stdout], daemon=True).start()

    def wait_for(pattern: re.Pattern[str], timeout: float = 60) -> re.Match[str]:
        deadline, seen = time.monotonic() + timeout, []
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.2)
            except queue.Empty:
                continue
            seen.append(line)
            found = pattern.search(line)
            if found:
                return found
        raise AssertionError("the console never printed it:\n" + "".join(seen[-40:]))

    try:
        wait_for(re.compile(r"fuelbot console: you are @U0CONSOLE in #lab"))
        console.stdin.write("/fuel health lab1 smoke\n")   # a threaded job: its parent links its page
        console.stdin.flush()
        link = wait_for(LINK).group(1)
        page = requests.get(link, timeout=10)
        assert page.status_code == 200 and "🩺 Health check" in page.text, page.text[:300]
        forged = requests.get(link.replace("sig=", "sig=0"), timeout=10)
        assert forged.status_code == 403 and "signature does not match" in forged.text
        console.stdin.write("/fuel job 1\n")
        console.stdin.flush()
        fresh = wait_for(re.compile(r"job #1's page \((http://[^)]+)\)")).group(1)
        assert requests.get(fresh, timeout=10).status_code == 200
    finally:
        if console.poll() is None:
            console.stdin.write("quit\n")
            console.stdin.flush()
            try:
                console.wait(timeout=30)
            except subprocess.TimeoutExpired:
                console.kill()
