"""Lambda-style containers for the local stack: each is a separate process that imports a function's handler on its
first invocation and then runs one invocation at a time, keeping its module state between invocations like a warm
container. Concurrent invocations go to different containers, so no resolver, logger or metrics buffer is ever
shared by two invocations in flight (Powertools keeps the current event on a class attribute, so threads in one
process would see each other's requests)."""

import contextlib
import importlib
import json
import os
import signal
import subprocess
import sys
import threading
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from ccpa_audit.local import native_memory
from ccpa_audit.local.lambda_context import LambdaContext

HANDLERS = {
    "intake": "functions.intake.app",
    "export": "functions.export.app",
    "suppress": "functions.suppress.app",
    "seal": "functions.seal.app",
    "deadline_sweeper": "functions.deadline_sweeper.app",
    "access_batcher": "functions.access_batcher.app",
    "cloudtrail_access": "functions.cloudtrail_access.app",
    "access_compactor": "functions.access_compactor.app",
}
# Functions that load the same large libraries (pyarrow for the Parquet batch objects): kept in the same container
# where they can be, so that one container rather than every one pays for those imports.
FAMILIES = {"seal": "parquet", "access_batcher": "parquet", "access_compactor": "parquet"}
# Lambda recycles execution environments; here a container is retired after this many invocations, so whatever a
# long-lived process accumulates (bounded caches, heap fragments) is handed back rather than growing for hours.
RETIRE_AFTER = 1000
# ...or as soon as it is resident past this after an invocation, as Lambda caps a function's memory (MemorySize).
# A fresh container answering intakes holds about 100 MB, one that has loaded pyarrow for Parquet about 165 MB.
RETIRE_ABOVE_MB = 224
# pyarrow's import adds about 60 MB to a container; growth past this in one invocation is a family's libraries loading.
LOADED_MB = 32
CRASH_RESPONSE = {"statusCode": 502, "headers": {"content-type": "application/json"},
                  "body": '{"error": "function_crashed", "message": "The function stopped before it answered; '
                          'retry the call.", "details": []}'}


class FunctionCrashedError(RuntimeError):
    """The container died during the invocation (Lambda reports this as a runtime exit)."""


def _container_main(inbox: Connection, outbox: Connection, modules: dict[str, str]) -> None:
    """The container's loop: (function, event, request id) in, ("ok", result) or ("error", text) out."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the runtime's to handle; it stops containers itself
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    handlers: dict[str, Callable[[dict[str, Any], Any], Any]] = {}
    while True:
        try:
            function, event, request_id = inbox.recv()
        except (EOFError, OSError):
            return  # the runtime is gone
        try:
            if function not in handlers:
                module, _, name = modules[function].partition(":")
                handlers[function] = getattr(importlib.import_module(module), name or "lambda_handler")
            result = handlers[function](event, LambdaContext(function_name=function, aws_request_id=request_id))
            outbox.send(("ok", result))
        except BaseException as error:  # noqa: BLE001  an unhandled error is the invocation's result, as in Lambda
            traceback.print_exc(file=sys.stderr)  # and its stack trace goes to the function's log, as Lambda's does
            sys.stderr.flush()
            outbox.send(("error", f"{type(error).__name__}: {error}"))
        finally:
            _discard_metrics()
            native_memory.trim()  # an idle container holds only what it still uses


def _discard_metrics() -> None:
    """Locally metrics go nowhere. Powertools keeps a disabled buffer until it holds 100 values and then prints it
    anyway, so each invocation ends with the buffer emptied, as a flush on AWS would leave it."""
    from shared.observability import metrics

    metrics.clear_metrics()


@dataclass
class _Container:
    process: subprocess.Popen[bytes]
    inbox: Connection  # ours to send on
    outbox: Connection  # ours to receive from
    functions: set[str] = field(default_factory=set)  # the handlers it has imported
    invocations: int = 0

    def affinity(self, function: str) -> tuple[bool, bool, int]:
        """Prefer a container that already runs this function, then one of its family, then the least loaded."""
        family = FAMILIES.get(function)
        return (function in self.functions, family is not None and any(FAMILIES.get(f) == family
                                                                        for f in self.functions),
                -len(self.functions))

    def close(self) -> None:
        self.inbox.close()
        self.outbox.close()
        if self.process.poll() is None:
            self.process.kill()


class ContainerPool:
    """Up to `size` containers, started on demand and reused; `invoke` blocks until one is free."""

    def __init__(self, size: int, env: dict[str, str], modules: dict[str, str] | None = None,
                 retire_after: int = RETIRE_AFTER, retire_above_mb: float = RETIRE_ABOVE_MB,
                 loaded_mb: float = LOADED_MB) -> None:
        self._modules = modules or HANDLERS  # function name -> "module" (its lambda_handler) or "module:function"
        self._retire_after = retire_after
        self._retire_above_mb = retire_above_mb
        self._loaded_mb = loaded_mb
        self._turns: dict[str, threading.Lock] = {}  # family -> one invocation of the family at a time
        self._env = env
        self._idle: list[_Container] = []  # the most recently used last
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._all: list[_Container] = []
        self._closed = False

    @property
    def size(self) -> int:
        return len(self._all)

    def prestart(self, count: int) -> None:
        started = [self._start() for _ in range(count)]
        with self._lock:
            self._idle.extend(started)

    def invoke(self, function: str, event: dict[str, Any], request_id: str) -> Any:
        # A family's invocations take turns (waiting before they hold a slot, so other functions still run), so the
        # family's container is free for the next one instead of a second container loading the same libraries.
        with self._turn(FAMILIES.get(function)), self._slots:
            container = self._take(function)
            before = _resident_mb(container.process.pid)
            try:
                container.inbox.send((function, event, request_id))
                status, result = container.outbox.recv()
            except (EOFError, OSError, BrokenPipeError):
                self._discard(container)
                raise FunctionCrashedError(f"{function} container exited during the invocation") from None
            container.functions.add(function)
            container.invocations += 1
            if self._spent(container, function, before):
                self._discard(container)  # the next invocation that finds no warm container starts a fresh one
            else:
                with self._lock:
                    self._idle.append(container)
        if status == "error":
            raise FunctionCrashedError(f"{function}: {result}")
        return result

    def close(self) -> None:
        """Stop every container at once: their state is in memory only, like the emulator's."""
        self._closed = True
        with self._lock:
            containers, self._all = self._all, []
        for container in containers:
            container.close()
        for container in containers:
            container.process.wait(timeout=1)

    def _turn(self, family: str | None) -> contextlib.AbstractContextManager[Any]:
        if family is None:
            return contextlib.nullcontext()
        with self._lock:
            return self._turns.setdefault(family, threading.Lock())

    def _spent(self, container: _Container, function: str, before_mb: float) -> bool:
        """Retire after the quota of invocations, past the memory bound, or when the container has just loaded a
        family's libraries (grown by `loaded_mb`) that another warm container already holds: it ran one of the family
        while that container was busy. (A family function that loads nothing heavy, such as a seal with no access
        batches to read, leaves it be: a fresh container costs a cold start.)"""
        now = _resident_mb(container.process.pid)
        if container.invocations >= self._retire_after or now > self._retire_above_mb:
            return True
        family = FAMILIES.get(function)
        if family is None or now - before_mb < self._loaded_mb:
            return False
        with self._lock:
            return any(other is not container and any(FAMILIES.get(f) == family for f in other.functions)
                       for other in self._all)

    def _take(self, function: str) -> _Container:
        with self._lock:
            if self._idle:
                # max() keeps the first of equals; reversed puts the most recently used (the warmest) first
                best = max(reversed(self._idle), key=lambda container: container.affinity(function))
                self._idle.remove(best)
                return best
        return self._start()  # a free slot but no warm container: a cold start

    def _start(self) -> _Container:
        if self._closed:
            raise FunctionCrashedError("the local runtime is stopping")
        # A fresh interpreter, as a cold Lambda container; its stdout stays the console's (the function's logs),
        # so invocations travel on two pipes of their own.
        child_reads, parent_writes = os.pipe()
        parent_reads, child_writes = os.pipe()
        process = subprocess.Popen(
            [sys.executable, "-m", "ccpa_audit.local.containers", str(child_reads), str(child_writes),
             json.dumps(self._modules)], pass_fds=(child_reads, child_writes), env=self._env)
        os.close(child_reads)
        os.close(child_writes)
        container = _Container(process, Connection(parent_writes, readable=False),
                               Connection(parent_reads, writable=False))
        with self._lock:
            self._all.append(container)
        return container

    def _discard(self, container: _Container) -> None:
        with self._lock:
            if container in self._all:
                self._all.remove(container)
        container.close()
        try:
            container.process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            pass  # a process that is slow to go is reaped by the pool's close


def _resident_mb(pid: int) -> float:
    """A container's resident size (0 where /proc is not there to read: then it is never retired for it)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


if __name__ == "__main__":
    _container_main(Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False),
                    json.loads(sys.argv[3]))
