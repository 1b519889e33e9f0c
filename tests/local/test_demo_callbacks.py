"""The demo downstream systems call back as a vendor does: a callback that times out or meets a 5xx is signed
afresh and sent again, and one the stack answered (even with 409: it had landed) is not."""

import io
import urllib.error

from ccpa_audit.local import demo_systems
from ccpa_audit.local.demo_systems import DemoDownstream
from shared.services import webhook_signing

INSTRUCTION = {"instruction_id": "i-1234567890", "request_id": "r-1", "system_id": "crm", "type": "delete",
               "callback_url": "http://127.0.0.1:9/callbacks/crm"}


def demo(outcomes, monkeypatch):
    monkeypatch.setattr(demo_systems, "CALLBACK_BACKOFF", 0.0)
    sent = []

    def deliver(url, body, headers):
        sent.append(headers["Ccpa-Signature"])
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome

    system = DemoDownstream({"crm": "secret"}, callback_delay=0, deliver=deliver)
    system.server.server_close()
    return system, sent


def http_error(code):
    return urllib.error.HTTPError("http://x", code, "x", {}, io.BytesIO(b""))


def test_a_timed_out_callback_is_sent_again_until_it_lands(monkeypatch):
    system, sent = demo([TimeoutError("timed out"), http_error(503), None], monkeypatch)
    system._call_back(INSTRUCTION, "secret", {"reference": "demo"})
    assert len(sent) == 3
    assert all(webhook_signing.parse(signature) for signature in sent)


def test_an_answered_callback_is_not_sent_again(monkeypatch):
    system, sent = demo([http_error(409)], monkeypatch)
    system._call_back(INSTRUCTION, "secret", {"reference": "demo"})
    assert len(sent) == 1


def test_it_gives_up_after_the_last_attempt(monkeypatch):
    system, sent = demo([ConnectionResetError()] * demo_systems.CALLBACK_ATTEMPTS, monkeypatch)
    system._call_back(INSTRUCTION, "secret", {"reference": "demo"})
    assert len(sent) == demo_systems.CALLBACK_ATTEMPTS
