"""The local stack's C-heap settings reach the processes it starts, and trimming is safe to call at any time."""

import subprocess
import sys

from ccpa_audit.local import native_memory


def test_the_arena_limit_is_passed_to_started_processes_and_trim_runs():
    env: dict[str, str] = {}
    native_memory.limit_arenas(env)
    native_memory.trim()

    child = subprocess.run([sys.executable, "-c", "import os; print(os.environ['MALLOC_ARENA_MAX'])"], env=env,
                           capture_output=True, text=True, check=True)
    assert child.stdout.strip() == str(native_memory.ARENAS) == "2"
