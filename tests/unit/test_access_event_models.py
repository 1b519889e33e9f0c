from datetime import UTC, datetime

import pytest

from shared.errors import ValidationError
from shared.ledger.canonical import canonical_bytes, parse_canonical
from shared.models.access_events import MAX_EVENTS, validate_batch
from shared.services.access_ocsf import ocsf_details, producer_key, producer_keys
from shared.ledger.canonical import sha256_hex

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
REQUEST_ID = "0193a5c2-7d4e-7b21-8c3f-2a9d6e1f4b70"


def item(**overrides):
    data = {
        "event_id": "crm-evt-000123",
        "occurred_at": "2026-11-20T17:59:00Z",
        "actor": {"id": "agent-42", "type": "user", "role": "support_agent"},
        "action": "read",
        "source": {"service": "crm", "ip": "203.0.113.9"},
        "consumer": {"email": "ana@example.com"},
        "data_categories": ["identifiers", "customer_records"],
        "purpose": "answer a support ticket",
    }
    data.update(overrides)
    return data


def validate(*items):
    return validate_batch({"events": list(items)}, now=NOW)


def refusal(*items):
    with pytest.raises(ValidationError) as caught:
        validate(*items)
    return caught.value


def fields(error):
    return [detail["field"] for detail in error.details]


def test_minimal_item_validates_with_default_outcome_when_optional_fields_absent():
    data = item()
    del data["actor"]["role"], data["source"]["ip"]
    [event] = validate(data)
    assert event.outcome == "success"
    assert event.resource is None and event.request_id is None and event.actor.role is None


def test_all_fields_validate_and_normalize_when_given():
    [event] = validate(item(resource="arn:aws:dynamodb:us-west-2:111122223333:table/Customers",
                            request_id=REQUEST_ID.upper(), outcome="failure",
                            source={"service": "crm", "ip": "2001:DB8:0:0::1"},
                            consumer={"email": "ana@example.com", "id": "cust-1"},
                            data_categories=["identifiers", "sensitive_health", "identifiers"]))
    assert event.request_id == REQUEST_ID
    assert event.source.ip == "2001:db8::1"
    assert event.data_categories == ["identifiers", "sensitive_health"]  # duplicates collapse
    assert event.consumer.id == "cust-1"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"event_id": ""}, "events[0].event_id"),
        ({"event_id": "x" * 201}, "events[0].event_id"),
        ({"event_id": 123}, "events[0].event_id"),
        ({"occurred_at": "2026-11-20T17:59:00"}, "events[0].occurred_at"),  # no time zone
        ({"occurred_at": "yesterday"}, "events[0].occurred_at"),
        ({"occurred_at": 1795197540}, "events[0].occurred_at"),  # numbers are not RFC 3339
        ({"occurred_at": "2026-11-20T18:05:01Z"}, "events[0].occurred_at"),  # > 5 minutes ahead
        ({"actor": {"type": "user"}}, "events[0].actor.id"),
        ({"actor": {"id": "a", "type": "robot"}}, "events[0].actor.type"),
        ({"actor": {"id": "a", "type": "user", "team": "x"}}, "events[0].actor.team"),
        ({"action": "view"}, "events[0].action"),
        ({"source": {"ip": "203.0.113.9"}}, "events[0].source.service"),
        ({"source": {"service": "crm", "ip": "203.0.113.300"}}, "events[0].source.ip"),
        ({"source": {"service": "crm", "ip": "crm.internal"}}, "events[0].source.ip"),
        ({"consumer": {}}, "events[0].consumer"),
        ({"consumer": {"email": "not-an-email"}}, "events[0].consumer.email"),
        ({"consumer": {"phone": "555"}}, "events[0].consumer.phone"),
        ({"data_categories": []}, "events[0].data_categories"),
        ({"data_categories": ["identifiers"] * 31}, "events[0].data_categories"),
        ({"data_categories": "identifiers"}, "events[0].data_categories"),
        ({"data_categories": ["identifiers", "  "]}, "events[0].data_categories[1]"),  # empty label
        ({"data_categories": ["identifiers", "a\nb"]}, "events[0].data_categories[1]"),  # not one line
        ({"data_categories": ["x" * 201]}, "events[0].data_categories[0]"),
        ({"data_categories": [{"label": "contact"}]}, "events[0].data_categories[0]"),  # not a string
        ({"occurred_at": "0001-01-01T00:00:00Z"}, "events[0].occurred_at"),  # outside the accepted range
        ({"purpose": "  "}, "events[0].purpose"),
        ({"resource": "r" * 201}, "events[0].resource"),
        ({"request_id": "REQ-1"}, "events[0].request_id"),
        ({"outcome": "partial"}, "events[0].outcome"),
        ({"severity": "high"}, "events[0].severity"),
    ],
)
def test_item_is_refused_naming_its_field_when_value_is_bad(overrides, field):
    error = refusal(item(**overrides))
    assert field in fields(error)
    assert error.code == "validation_failed"


def test_missing_required_fields_are_each_named_when_item_is_empty():
    error = refusal({})
    assert set(fields(error)) == {f"events[0].{name}" for name in (
        "event_id", "occurred_at", "actor", "action", "source", "consumer", "data_categories", "purpose")}


def test_refusal_names_index_and_field_of_bad_item_when_others_are_good():
    bad = item(event_id="e-3", actor={"id": "a", "type": "robot"})
    error = refusal(item(event_id="e-0"), item(event_id="e-1"), item(event_id="e-2"), bad)
    assert fields(error) == ["events[3].actor.type"]
    assert error.message.startswith("Item 3 of events is invalid: field events[3].actor.type ")


def test_time_five_minutes_ahead_is_accepted_when_clocks_drift():
    [event] = validate(item(occurred_at="2026-11-20T18:05:00Z"))
    assert event.occurred_at == datetime(2026, 11, 20, 18, 5, tzinfo=UTC)


def test_old_time_is_accepted_when_delivered_late():
    assert validate(item(occurred_at="2025-01-02T03:04:05+02:00"))


@pytest.mark.parametrize("count", [1, MAX_EVENTS])
def test_batch_is_accepted_when_size_within_limits(count):
    assert len(validate(*[item(event_id=f"e-{i}") for i in range(count)])) == count


@pytest.mark.parametrize("count", [0, MAX_EVENTS + 1])
def test_batch_is_refused_naming_events_when_size_outside_limits(count):
    error = refusal(*[item(event_id=f"e-{i}") for i in range(count)])
    assert fields(error) == ["events"]
    assert error.message.startswith("Field events ")


@pytest.mark.parametrize(("body", "field"), [([], "body"), ({}, "events"), ({"events": [], "x": 1}, "x")])
def test_body_is_refused_when_not_an_events_object(body, field):
    with pytest.raises(ValidationError) as caught:
        validate_batch(body, now=NOW)
    assert field in fields(caught.value)


def test_duplicate_event_ids_in_one_batch_are_accepted_with_one_dedupe_key():
    first, again = validate(item(), item())
    assert producer_key(first, "svc-crm") == producer_key(again, "svc-crm")


def test_dedupe_key_differs_when_producer_or_source_service_differs():
    [event] = validate(item())
    [other_service] = validate(item(source={"service": "billing"}))
    assert len(producer_key(event, "svc-crm")) == 64
    assert producer_key(event, "svc-crm") != producer_key(event, "svc-billing")
    assert producer_key(event, "svc-crm") != producer_key(other_service, "svc-crm")


def test_a_batch_s_dedupe_keys_are_each_event_s_canonical_key_whatever_its_text():
    events = validate(item(), item(event_id="e\u0301-\"2\"\\"), item(event_id="x\u00e9\U0001f600", source={"service": "billing"}),
                      item(source={"service": "Cre\u0301dit"}))
    assert producer_keys(events, "svc-crm") == [
        sha256_hex(canonical_bytes(["ccpa-audit/access-event/v1", "svc-crm", e.source.service, e.event_id]))
        for e in events]


# ---- OCSF details --------------------------------------------------------------------------------------------

RECEIVED = datetime(2026, 11, 20, 18, 0, 1, 250000, tzinfo=UTC)


def details(**overrides):
    [event] = validate(item(**overrides))
    return ocsf_details(event, RECEIVED, {})


def test_api_activity_read_when_resource_is_not_a_datastore():
    body = details(resource="crm:/tickets/981", request_id=REQUEST_ID)
    assert (body["class_uid"], body["class_name"], body["category_uid"]) == (6003, "API Activity", 6)
    assert (body["activity_id"], body["activity_name"], body["type_uid"]) == (2, "Read", 600302)
    assert body["time"] == 1795197540000 and body["time_dt"] == "2026-11-20T17:59:00.000Z"
    assert body["metadata"] == {"product": {"name": "ccpa-audit"}, "version": "1.5.0", "profiles": ["datetime"],
                                "logged_time": 1795197601250, "logged_time_dt": "2026-11-20T18:00:01.250Z"}
    assert body["actor"] == {"user": {"uid": "agent-42", "type": "User", "type_id": 1}}
    assert body["src_endpoint"] == {"svc_name": "crm", "ip": "203.0.113.9"}
    assert body["api"] == {"operation": "read", "service": {"name": "crm"}}
    assert body["resources"] == [{"uid": "crm:/tickets/981"}]
    assert (body["status"], body["status_id"]) == ("Success", 1)
    assert body["unmapped"] == {"producer_event_id": "crm-evt-000123", "actor_role": "support_agent",
                                "consumer": {"email": "ana@example.com"},
                                "data_labels": ["identifiers", "customer_records"],
                                "data_categories": ["identifiers", "customer_records"], "unmapped_labels": [],
                                "purpose": "answer a support ticket", "request_id": REQUEST_ID}


@pytest.mark.parametrize(
    ("action", "activity_id", "name"),
    [("create", 1, "Create"), ("read", 2, "Read"), ("update", 3, "Update"), ("delete", 4, "Delete"),
     ("export", 99, "Export"), ("share", 99, "Share")],
)
def test_api_activity_ids_follow_ocsf_when_action_maps(action, activity_id, name):
    body = details(action=action)
    assert (body["activity_id"], body["activity_name"], body["type_uid"]) == (activity_id, name,
                                                                             600300 + activity_id)


@pytest.mark.parametrize(
    ("resource", "store"),
    [
        ("arn:aws:s3:::acme-docs/customers/c-1/a.json",
         {"type_id": 2, "type": "Databucket", "databucket": {"name": "acme-docs", "type_id": 1, "type": "S3"}}),
        ("arn:aws:dynamodb:us-west-2:111122223333:table/Customers/index/by-email",
         {"type_id": 3, "type": "Table",
          "table": {"name": "Customers", "uid": "arn:aws:dynamodb:us-west-2:111122223333:table/Customers"}}),
        ("db://crm/contacts", {"type_id": 3, "type": "Table", "table": {"name": "contacts"},
                               "database": {"name": "crm", "type_id": 0, "type": "Unknown"}}),
    ],
)
def test_datastore_activity_when_resource_names_a_datastore(resource, store):
    body = details(resource=resource, action="delete", actor={"id": "etl", "type": "service"}, outcome="failure")
    assert (body["class_uid"], body["class_name"]) == (6005, "Datastore Activity")
    assert (body["activity_id"], body["activity_name"], body["type_uid"]) == (7, "Delete", 600507)
    assert {key: body[key] for key in store} == store
    assert body["actor"] == {"user": {"uid": "etl", "type": "Service", "type_id": 99}}  # 1.5.0 has no Service id
    assert (body["status"], body["status_id"]) == ("Failure", 2)
    assert "api" not in body and "resources" not in body and body["unmapped"]["resource"] == resource


@pytest.mark.parametrize(("action", "activity_id"), [("read", 1), ("update", 2), ("create", 6), ("export", 99)])
def test_datastore_activity_ids_follow_ocsf_when_action_maps(action, activity_id):
    assert details(resource="s3://bucket/key", action=action)["type_uid"] == 600500 + activity_id


def test_details_serialize_canonically_when_stored_in_the_ledger():
    body = details(resource="s3://b/k", request_id=REQUEST_ID, consumer={"email": "Zoë@example.com", "id": "c-1"})
    assert parse_canonical(canonical_bytes(body)) == body  # no floats, ASCII keys, JSON types only


# ---- data labels and CCPA categories -----------------------------------------------------------------------


def test_a_batch_with_the_producers_own_labels_is_accepted_as_given():
    [event] = validate(item(data_categories=["contact", "Favourite Colour", "sensitive_health"]))
    assert event.data_categories == ["contact", "Favourite Colour", "sensitive_health"]


def test_known_labels_map_to_ccpa_categories_and_unknown_ones_are_kept_and_marked():
    body = details(data_categories=["contact", "Billing-Address", "identifiers", "SSN", "favourite colour"])
    assert body["unmapped"]["data_labels"] == ["contact", "Billing-Address", "identifiers", "SSN", "favourite colour"]
    assert body["unmapped"]["data_categories"] == ["identifiers", "customer_records", "sensitive_government_id"]
    assert body["unmapped"]["unmapped_labels"] == ["favourite colour"]


def test_the_configured_table_adds_labels_and_wins_over_the_built_in_one():
    from shared.models.data_categories import categorize, check_table

    table = check_table({"Favourite Colour": "inferences", "contact": "customer_records"})
    mapped = categorize(["favourite colour", "contact", "sensitive_biometric_id", "mood"], table)
    assert mapped.categories == ["inferences", "customer_records", "sensitive_biometric_id"]
    assert mapped.unmapped == ["mood"]


def test_a_configured_table_naming_no_ccpa_category_is_refused_at_start():
    from shared.config import Settings

    with pytest.raises(ValueError, match="contact -> contacts"):
        Settings(data_category_map={"contact": "contacts"})


def test_every_built_in_label_maps_to_a_ccpa_category():
    from shared.models.data_categories import DEFAULT_LABELS, is_category

    assert [label for label, category in DEFAULT_LABELS.items() if not is_category(category)] == []



@pytest.mark.parametrize(("text", "issue"), [
    ("a\nb", "must be a single line (contains U+000A)"),
    ("  \x01inside\t ", "contains a control character (U+0001)"),
    ("abc\u202egnp.exe", "contains a bidirectional control character (U+202E)"),
    ("x\U0010FFFF", "contains a disallowed character (U+10FFFF)"),
])
def test_a_bad_text_is_refused_in_the_words_of_every_other_route(text, issue):
    error = refusal(item(purpose=text))
    assert error.details == [{"field": "events[0].purpose", "issue": issue, "type": "value_error"}]
    assert error.message == f"Item 0 of events is invalid: field events[0].purpose {issue}."


def test_a_batch_read_from_its_bytes_gives_the_stream_records_the_two_step_path_gives():
    """validate_batch_json takes plain bodies straight from their bytes (pydantic's JSON mode): what it accepts must
    be the very events, field for field, that parse_json + validate_batch accept, down to the record bytes."""
    import json

    from shared.adapters.kinesis_access_stream import records_data
    from shared.ledger.envelope import Actor
    from shared.models.access_batch import AcceptedAccess
    from shared.json_input import plain_key_marks
    from shared.models.access_events import validate_batch_json
    from tests.access_samples import access_items

    producer = Actor(type="service", id="crm")
    items = access_items(300, NOW)
    plain = []  # the samples made plain (printable ASCII without `"` or `\\`), as far as they stay valid
    for sample in map(_plain, items):
        try:
            validate_batch({"events": [sample]}, now=NOW)
        except ValidationError:
            continue
        plain.append(sample)
    assert len(plain) > 200 and plain_key_marks(json.dumps({"events": plain}).encode()) is not None
    for body in ({"events": plain[:250]}, {"events": items[:250]}):
        data = json.dumps(body, ensure_ascii=False).encode()
        fast, slow = validate_batch_json(data, now=NOW), validate_batch(json.loads(data), now=NOW)
        assert [event.model_fields_set for event in fast] == [event.model_fields_set for event in slow]
        assert records_data([AcceptedAccess(e, producer, "c", "a", "k", NOW, "n") for e in fast]) == \
            records_data([AcceptedAccess(e, producer, "c", "a", "k", NOW, "n") for e in slow])


def _plain(value):
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return "".join(c if " " <= c < "\x7f" and c not in '"\\' else "?" for c in value)
    return value


def test_a_bad_batch_read_from_its_bytes_is_refused_with_the_two_step_path_s_words():
    import json

    from shared.models.access_events import validate_batch_json

    from shared.json_input import parse_json

    bodies = [json.dumps({"events": items}).encode()
              for items in ([item(), item(action="peek")], [item(occurred_at=1_700_000_000)], [item(extra="x")])]
    bodies += [b'{"events": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", b"", b"[]", b'{"events": [NaN]}']
    for data in bodies:
        with pytest.raises(ValidationError) as fast:
            validate_batch_json(data, now=NOW)
        with pytest.raises(ValidationError) as slow:
            validate_batch(parse_json(data), now=NOW)
        assert (fast.value.message, fast.value.details) == (slow.value.message, slow.value.details)
