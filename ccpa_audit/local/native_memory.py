"""The C heap of a long-running local stack. Every connection to moto is served on a thread of its own, and glibc
gives busy threads heaps (arenas) of their own that keep freed memory, so the resident size climbs with traffic
that left nothing behind. Two arenas, and handing freed pages back now and then, keep it near what is really held.

Python's own small-object allocator (pymalloc) hands a 1 MB arena back only when every object in it is gone, and
the emulator keeps a few small objects from every request among many short-lived ones, so nearly every arena
stays pinned. With glibc's malloc for Python objects (`PYTHONMALLOC=malloc`) a freed page in the middle of the
heap can be handed back by `trim`: measured over 1,000 `POST /requests`, the moto process grew 38 KB per request
instead of 72, at the same speed. That setting is read when an interpreter starts, so `ccpa-audit local` starts
itself again with it (`use_system_allocator`), and its containers inherit it.
Anywhere but glibc (macOS) these do nothing."""

import ctypes
import ctypes.util
import os
import sys
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


def use_system_allocator(argv: list[str]) -> None:
    """Replace this process (same pid) by the same command under glibc's malloc, unless PYTHONMALLOC is already
    chosen. `argv`: the interpreter's arguments after its own name (`sys.orig_argv[1:]`). Call before any thread."""
    if os.environ.get("PYTHONMALLOC") or _LIBC is None or not hasattr(_LIBC, "malloc_trim"):
        return
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, *argv], {**os.environ, "PYTHONMALLOC": "malloc"})


def limit_arenas(env: MutableMapping[str, str]) -> None:
    """For this process (before its threads start) and, through `env`, for the processes it starts."""
    env["MALLOC_ARENA_MAX"] = str(ARENAS)
    if _LIBC is not None and hasattr(_LIBC, "mallopt"):
        _LIBC.mallopt(_M_ARENA_MAX, ARENAS)


def trim() -> None:
    """Return freed heap pages to the system."""
    if _LIBC is not None and hasattr(_LIBC, "malloc_trim"):
        _LIBC.malloc_trim(0)
