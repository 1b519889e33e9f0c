"""The C heap of a long-running local stack. Every werkzeug request runs on a new thread, and glibc gives busy
threads heaps (arenas) of their own that keep freed memory, so the resident size climbs with traffic that left
nothing behind. Two arenas, and handing freed pages back now and then, keep it near what is really held.
Anywhere but glibc (macOS) these do nothing."""

import ctypes
import ctypes.util
from collections.abc import MutableMapping
from typing import Any

ARENAS = 2
_M_ARENA_MAX = -8  # mallopt parameter number, from glibc's malloc.h


def _libc() -> Any:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


_LIBC = _libc()


def limit_arenas(env: MutableMapping[str, str]) -> None:
    """For this process (before its threads start) and, through `env`, for the processes it starts."""
    env["MALLOC_ARENA_MAX"] = str(ARENAS)
    if _LIBC is not None and hasattr(_LIBC, "mallopt"):
        _LIBC.mallopt(_M_ARENA_MAX, ARENAS)


def trim() -> None:
    """Return freed heap pages to the system."""
    if _LIBC is not None and hasattr(_LIBC, "malloc_trim"):
        _LIBC.malloc_trim(0)
