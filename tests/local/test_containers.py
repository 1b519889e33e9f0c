"""Lambda-style containers: concurrent invocations run in separate processes, each container keeps its own module
state between its invocations, and a crash costs one invocation, not the pool."""

import os
import threading

import pytest

from ccpa_audit.local.containers import ContainerPool, FunctionCrashedError

FUNCTIONS = {name: f"tests.local.container_functions:{name}"
             for name in ("count", "wait_for_file", "touch", "crash", "fail")}


@pytest.fixture
def pool():
    containers = ContainerPool(2, {}, FUNCTIONS)
    yield containers
    containers.close()


def test_two_invocations_run_at_once_in_different_containers(pool, tmp_path):
    flag = tmp_path / "go"
    waiting = {}
    blocked = threading.Thread(target=lambda: waiting.update(pool.invoke("wait_for_file", {"path": str(flag)}, "1")))
    blocked.start()

    # If invocations ran one at a time, this one would queue behind the first, which waits for it: a deadlock.
    releaser = pool.invoke("touch", {"path": str(flag)}, "2")
    blocked.join(timeout=30)

    assert waiting["released"] is True
    assert waiting["pid"] != releaser["pid"]


def test_a_warm_container_keeps_its_module_state_between_its_own_invocations(pool):
    first = pool.invoke("count", {}, "1")
    second = pool.invoke("count", {}, "2")

    assert second["pid"] == first["pid"]  # the warmest container is reused
    assert second["invocations"] == first["invocations"] + 1


def test_a_crashed_container_fails_its_invocation_and_the_next_one_gets_a_fresh_container(pool):
    pool.invoke("count", {}, "1")
    with pytest.raises(FunctionCrashedError, match="exited"):
        pool.invoke("crash", {}, "2")
    after = pool.invoke("count", {}, "3")

    assert after["invocations"] >= 1
    assert pool.size <= 2


def test_an_unhandled_error_is_the_invocations_result_and_the_container_stays(pool):
    with pytest.raises(FunctionCrashedError, match="ValueError: bad input"):
        pool.invoke("fail", {}, "1")
    assert pool.invoke("count", {}, "2")["invocations"] >= 1


def test_closing_the_pool_stops_every_container(tmp_path):
    containers = ContainerPool(2, {}, FUNCTIONS)
    containers.prestart(2)
    processes = [c.process for c in containers._all]
    containers.close()

    assert all(p.poll() is not None for p in processes)
    with pytest.raises(FunctionCrashedError):
        containers.invoke("count", {}, "1")


def test_a_function_goes_back_to_the_container_that_already_runs_it_and_others_to_a_fresh_one(tmp_path):
    pool = ContainerPool(2, {}, FUNCTIONS)
    try:
        pool.prestart(2)
        counted = [pool.invoke("count", {}, str(n))["pid"] for n in range(3)]
        touched = [pool.invoke("touch", {"path": str(tmp_path / "t")}, str(n))["pid"] for n in range(3)]
    finally:
        pool.close()

    # Each function keeps to one container and they do not share, so neither imports the other's modules.
    assert len(set(counted)) == 1 and len(set(touched)) == 1 and counted[0] != touched[0]


def test_functions_of_one_family_share_a_container(tmp_path, monkeypatch):
    from ccpa_audit.local import containers

    monkeypatch.setattr(containers, "FAMILIES", {"count": "heavy", "touch": "heavy"})
    pool = ContainerPool(2, {}, FUNCTIONS)
    try:
        pool.prestart(2)
        counted = pool.invoke("count", {}, "1")["pid"]
        touched = pool.invoke("touch", {"path": str(tmp_path / "t")}, "2")["pid"]
    finally:
        pool.close()

    assert counted == touched


def test_a_container_is_retired_after_its_quota_of_invocations_and_replaced_by_a_fresh_one():
    containers = ContainerPool(2, {}, FUNCTIONS, retire_after=3)
    try:
        runs = [containers.invoke("count", {}, str(n)) for n in range(4)]
        assert containers.size == 1  # the retired container is gone, not idle
    finally:
        containers.close()

    assert [run["invocations"] for run in runs] == [1, 2, 3, 1]
    assert runs[3]["pid"] != runs[0]["pid"] == runs[2]["pid"]
    with pytest.raises(ProcessLookupError):
        os.kill(runs[0]["pid"], 0)  # stopped and reaped


def test_a_container_resident_past_the_memory_bound_after_an_invocation_is_retired():
    containers = ContainerPool(2, {}, FUNCTIONS, retire_above_mb=1)  # every interpreter holds more than 1 MB
    try:
        runs = [containers.invoke("count", {}, str(n)) for n in range(2)]
        assert containers.size == 0
    finally:
        containers.close()

    assert [run["invocations"] for run in runs] == [1, 1]
    assert runs[0]["pid"] != runs[1]["pid"]


def _spill(pool, flag):
    """The family's container is busy with another function while one of the family runs: it goes to a second."""
    pool.prestart(1)
    family_pid = pool.invoke("count", {}, "1")["pid"]
    waiting: dict[str, object] = {}
    busy = threading.Thread(target=lambda: waiting.update(pool.invoke("wait_for_file", {"path": str(flag)}, "2")))
    busy.start()
    spilled_pid = pool.invoke("touch", {"path": str(flag)}, "3")["pid"]
    busy.join(timeout=30)
    assert waiting["pid"] == family_pid != spilled_pid
    return family_pid


def test_a_container_that_loaded_a_family_another_warm_container_holds_is_retired(tmp_path, monkeypatch):
    from ccpa_audit.local import containers

    monkeypatch.setattr(containers, "FAMILIES", {"count": "heavy", "touch": "heavy"})
    pool = ContainerPool(2, {}, FUNCTIONS, loaded_mb=float("-inf"))  # as if every invocation loaded the libraries
    try:
        family_pid = _spill(pool, tmp_path / "go")
        assert pool.size == 1  # the second was retired; the family stays in the first
        again = pool.invoke("count", {}, "4")
    finally:
        pool.close()

    assert again == {"pid": family_pid, "invocations": 2}


def test_a_family_function_that_loaded_nothing_heavy_leaves_its_container_warm(tmp_path, monkeypatch):
    from ccpa_audit.local import containers

    monkeypatch.setattr(containers, "FAMILIES", {"count": "heavy", "touch": "heavy"})
    pool = ContainerPool(2, {}, FUNCTIONS)  # touching a file grows no container by 32 MB
    try:
        _spill(pool, tmp_path / "go")
        assert pool.size == 2
    finally:
        pool.close()


def test_invocations_of_one_family_take_turns_in_its_container_while_other_functions_run(tmp_path, monkeypatch):
    from ccpa_audit.local import containers

    monkeypatch.setattr(containers, "FAMILIES", {"wait_for_file": "heavy", "count": "heavy"})
    pool = ContainerPool(2, {}, FUNCTIONS)
    flag = tmp_path / "go"
    results: dict[str, dict[str, object]] = {}
    try:
        pool.prestart(2)
        waiter = threading.Thread(target=lambda: results.update(
            waited=pool.invoke("wait_for_file", {"path": str(flag)}, "1")))
        waiter.start()
        counter = threading.Thread(target=lambda: results.update(counted=pool.invoke("count", {}, "2")))
        counter.start()
        counter.join(timeout=0.5)
        # the family's second invocation waits its turn rather than taking the free container, which a function
        # of no family still gets at once (or it would wait for the file it is to write)
        toucher = pool.invoke("touch", {"path": str(flag)}, "3")
        waiter.join(timeout=30)
        counter.join(timeout=30)
    finally:
        pool.close()

    assert results["waited"]["released"] is True
    assert results["counted"]["pid"] == results["waited"]["pid"] != toucher["pid"]
