"""The local stack's C-heap settings reach the processes it starts, and trimming is safe to call at any time."""

import os
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


def _run(code: str, env: dict[str, str]) -> list[str]:
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.split()


def test_the_system_allocator_restarts_the_same_command_under_glibc_malloc_with_the_same_pid():
    then = "import os; print(os.getpid(), os.environ.get('PYTHONMALLOC'))"
    code = (f"import os; print(os.getpid(), os.environ.get('PYTHONMALLOC'), flush=True); "
            f"from ccpa_audit.local import native_memory; native_memory.use_system_allocator(['-c', {then!r}]); "
            f"print('not restarted')")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONMALLOC"}

    before_pid, before, after_pid, after = _run(code, env)

    assert (before, after) == ("None", "malloc")
    assert before_pid == after_pid


def test_an_allocator_the_user_chose_is_kept():
    code = ("from ccpa_audit.local import native_memory; native_memory.use_system_allocator(['-c', 'print(1)']); "
            "import os; print(os.environ['PYTHONMALLOC'])")

    assert _run(code, {**os.environ, "PYTHONMALLOC": "pymalloc"}) == ["pymalloc"]
