from datetime import UTC, datetime

import pytest

from shared.config import Settings
from shared.services.ledger_writer import Ledger
from tests.fakes import FakeEvidenceStore, FakeLedgerIndex, FakeTagger


def pytest_runtest_setup(item):
    # Unit tests never touch the network (STYLE: sockets blocked).
    import pytest_socket

    pytest_socket.disable_socket(allow_unix_socket=True)


def pytest_runtest_teardown(item):
    import pytest_socket

    pytest_socket.enable_socket()


class FrozenClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def clock():
    return FrozenClock(datetime(2026, 11, 20, 18, 0, tzinfo=UTC))  # Friday 10:00 in Los Angeles


@pytest.fixture
def ledger(clock):
    return Ledger(
        evidence=FakeEvidenceStore(),
        index=FakeLedgerIndex(),
        tagger=FakeTagger(),
        settings=Settings(),
        now=clock,
    )
