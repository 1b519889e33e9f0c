"""Handlers for the container pool's tests (each imported inside a container process)."""

import os
import time
from pathlib import Path

INVOCATIONS = 0  # module state: kept between invocations of one container, never shared with another


def count(event, context):
    global INVOCATIONS
    INVOCATIONS += 1
    return {"pid": os.getpid(), "invocations": INVOCATIONS}


def wait_for_file(event, context):
    deadline = time.monotonic() + 20
    while not Path(event["path"]).exists():
        if time.monotonic() > deadline:
            return {"released": False}
        time.sleep(0.01)
    return {"released": True, "pid": os.getpid()}


def touch(event, context):
    Path(event["path"]).write_text("go")
    return {"pid": os.getpid()}


def crash(event, context):
    os._exit(3)


def fail(event, context):
    raise ValueError("bad input reached the handler")
