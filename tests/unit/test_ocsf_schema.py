"""Every OCSF body the product writes validates against the published OCSF 1.5.0 JSON schema (tests/ocsf_schema.py),
for each class, action, actor type, outcome and optional field."""

import itertools
from datetime import UTC, datetime

import pytest

from shared.models.access_events import validate_batch
from shared.services.access_ocsf import access_view, ocsf_details
from tests.ocsf_schema import ocsf_errors

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
RESOURCES = [None, "crm:/tickets/9", "arn:aws:s3:::acme-docs/customers/c-1/a.json", "s3://bucket",
             "arn:aws:dynamodb:us-west-2:111122223333:table/Customers/index/by-email", "dynamodb://Customers",
             "db://crm", "db://crm/contacts"]
ACTIONS = ["read", "create", "update", "delete", "export", "share"]


def body(resource, action, actor_type, outcome, full):
    item = {"event_id": "evt-1", "occurred_at": "2026-11-20T17:59:00.123Z", "actor": {"id": "a-1", "type": actor_type},
            "action": action, "source": {"service": "crm"}, "consumer": {"email": "ana@example.com"},
            "data_categories": ["contact", "favourite colour"], "purpose": "support", "outcome": outcome}
    if resource:
        item["resource"] = resource
    if full:
        item["actor"]["role"] = "support"
        item["source"]["ip"] = "2001:db8::1"
        item["consumer"]["id"] = "c-1"
        item["request_id"] = "0193a5c2-7d4e-7b21-8c3f-2a9d6e1f4b70"
    [event] = validate_batch({"events": [item]}, now=NOW)
    return ocsf_details(event, NOW, {})


@pytest.mark.parametrize(("resource", "action"), list(itertools.product(RESOURCES, ACTIONS)))
@pytest.mark.parametrize(("actor_type", "outcome", "full"), [("user", "success", True), ("service", "failure", False),
                                                             ("service", "success", True)])
def test_every_access_event_body_validates_against_the_ocsf_1_5_0_schema(resource, action, actor_type, outcome, full):
    details = body(resource, action, actor_type, outcome, full)
    assert ocsf_errors(details) == []
    assert details["metadata"]["profiles"] == ["datetime"]  # it carries time_dt and logged_time_dt


def test_the_schema_check_catches_what_the_first_layout_got_wrong():
    details = body("s3://bucket/key", "read", "service", "success", True)
    details["actor"]["user"]["type_id"] = 4  # Service: only from OCSF 1.6.0
    details["metadata"]["original_uid"] = "evt-1"
    details["api"] = {"operation": "read"}
    details["metadata"]["profiles"] = []
    errors = "\n".join(ocsf_errors(details))
    for expected in ("actor/user/type_id", "original_uid", "'api'", "time_dt"):
        assert expected in errors


def test_the_search_view_reads_both_the_current_and_the_first_stored_layout():
    current = body("crm:/tickets/9", "read", "user", "success", True)
    first = {**{k: v for k, v in current.items() if k != "unmapped"},
             "actor": {"user": {"uid": "a-1", "type": "User", "type_id": 1, "role": "support"}},
             "metadata": {"original_uid": "evt-1"}, "consumer": {"email": "ana@example.com", "id": "c-1"},
             "data_categories": ["identifiers"], "purpose": "support",
             "request_id": "0193a5c2-7d4e-7b21-8c3f-2a9d6e1f4b70"}
    new, old = access_view(current), access_view(first)
    assert new["actor"] == old["actor"] == {"id": "a-1", "type": "user", "role": "support"}
    assert new["producer_event_id"] == old["producer_event_id"] == "evt-1"
    assert new["resource"] == old["resource"] == "crm:/tickets/9" and new["request_id"] == old["request_id"]
    assert (new["data_categories"], new["unmapped_labels"]) == (["identifiers"], ["favourite colour"])
    assert (old["data_labels"], old["unmapped_labels"]) == (["identifiers"], [])
