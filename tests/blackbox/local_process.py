"""Starts `ccpa-audit local` on a free port as `make run` would, and waits for its ready line."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ccpa_audit.local.runtime import free_port

CLI = Path(sys.executable).parent / "ccpa-audit"


def start_local(timeout: float = 60, settings: dict[str, str] | None = None) -> tuple[str, str, subprocess.Popen]:
    port = free_port()
    env = {**os.environ, **(settings or {}), "PORT": str(port)}
    for key in ("AWS_ENDPOINT_URL", "EVIDENCE_BUCKET", "INDEX_TABLE"):
        env.pop(key, None)
    process = subprocess.Popen([str(CLI), "local"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    deadline = time.monotonic() + timeout
    lines = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        if "ready" in line:
            return f"http://127.0.0.1:{port}", line, process
        if process.poll() is not None:
            pytest.fail("ccpa-audit local exited early:\n" + "".join(lines))
    process.kill()
    pytest.fail("ccpa-audit local never printed ready")
