import gzip
import json
from pathlib import Path

import pytest
from pydantic import ValidationError as PydanticValidationError

from shared.errors import ValidationError
from shared.ledger.canonical import canonical_bytes, parse_canonical
from shared.models.access_events import AccessEventIn, validate_batch
from shared.services.access_normalizers import (
    CloudTrailMapping,
    JsonMapping,
    cloudtrail_events,
    from_cloudtrail_log_file,
    from_cloudtrail_record,
    from_eventbridge,
    from_json_mapping,
)
from shared.services.access_ocsf import ocsf_details

EVENTS = Path(__file__).parent.parent / "events" / "cloudtrail"
SUPPORT_ROLE = "arn:aws:sts::111122223333:assumed-role/SupportAppRole/support-app"
CUSTOMERS_ARN = "arn:aws:dynamodb:us-west-2:111122223333:table/Customers"

CONFIG = CloudTrailMapping.model_validate({
    "s3": [{"bucket": "acme-customer-docs", "prefix": "customers/",
            "consumer_pattern": r"^customers/(?P<consumer>[^/]+)/",
            "data_categories": ["identifiers", "customer_records"], "purpose": "customer support"}],
    "dynamodb": [
        {"table": "Customers", "consumer_attribute": "customer_id", "data_categories": ["identifiers"],
         "purpose": "account management"},
        {"table": "Subscribers", "consumer_attribute": "email", "consumer_as": "email",
         "data_categories": ["identifiers"], "purpose": "newsletter"},
    ],
})


def sample(name):
    return json.loads((EVENTS / name).read_text())


def normalized_record(record, config=CONFIG):
    event = from_cloudtrail_record(record, config)
    assert event is not None
    return event


def normalized(name):
    return normalized_record(sample(name))


# ---- CloudTrail: S3 ------------------------------------------------------------------------------------------


def test_s3_get_object_is_a_read_by_the_role_when_key_under_configured_prefix():
    event = normalized("s3_get_object.json")
    assert event.event_id == "3f4c1a52-8e0b-4d7a-9a61-0c2d6f1b7e01"
    assert event.occurred_at.isoformat() == "2026-11-20T17:52:10+00:00"
    assert event.actor.model_dump() == {"id": SUPPORT_ROLE, "type": "service", "role": "SupportAppRole"}
    assert event.action == "read"
    assert event.source.model_dump() == {"service": "s3.amazonaws.com", "ip": "203.0.113.24"}
    assert event.consumer.model_dump(exclude_none=True) == {"id": "c-1001"}
    assert event.resource == "arn:aws:s3:::acme-customer-docs/customers/c-1001/profile.json"
    assert (event.data_categories, event.purpose, event.outcome) == (
        ["identifiers", "customer_records"], "customer support", "success")


def test_s3_put_object_is_an_update_when_cloudtrail_cannot_tell_create_from_replace():
    event = normalized("s3_put_object.json")
    assert (event.action, event.consumer.id) == ("update", "c-1001")


def test_s3_delete_object_by_iam_user_is_a_delete_by_a_user():
    event = normalized("s3_delete_object.json")
    assert event.action == "delete"
    assert event.actor.model_dump() == {"id": "arn:aws:iam::111122223333:user/dana", "type": "user", "role": None}


def test_s3_copy_object_is_a_create_of_the_destination():
    record = sample("s3_put_object.json") | {"eventName": "CopyObject"}
    assert normalized_record(record).action == "create"


def test_access_denied_is_a_failed_access_when_error_code_present():
    event = normalized("s3_get_object_access_denied.json")
    assert (event.outcome, event.consumer.id, event.action) == ("failure", "c-2002", "read")


def test_record_is_not_personal_data_when_bucket_not_configured():
    record = sample("s3_get_object.json")
    record["requestParameters"]["bucketName"] = "acme-build-artifacts"
    assert from_cloudtrail_record(record, CONFIG) is None


@pytest.mark.parametrize("event_name", ["ListObjects", "GetObjectAcl", "PutBucketPolicy"])
def test_record_is_skipped_when_operation_reads_or_writes_no_object_content(event_name):
    assert from_cloudtrail_record(sample("s3_get_object.json") | {"eventName": event_name}, CONFIG) is None


def test_delete_objects_gives_one_event_per_consumer_from_the_listed_objects():
    record = sample("s3_delete_object.json") | {"eventName": "DeleteObjects"}
    record["requestParameters"] = {"bucketName": "acme-customer-docs", "delete": ""}
    record["resources"] = [{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::acme-customer-docs/customers/{c}/a"}
                           for c in ("c-1", "c-2")] + [{"type": "AWS::S3::Bucket",
                                                        "ARN": "arn:aws:s3:::acme-customer-docs"}]
    events = cloudtrail_events(record, CONFIG)
    assert sorted((e.consumer.id, e.action) for e in events) == [("c-1", "delete"), ("c-2", "delete")]


def test_access_without_a_consumer_is_dropped_or_recorded_as_bulk_as_configured():
    record = sample("s3_get_object.json")
    record["requestParameters"]["key"] = "customers/index.json"  # under the prefix, outside the pattern
    assert from_cloudtrail_record(record, CONFIG) is None
    bulk = CONFIG.model_copy(update={"bulk_consumer_id": "bulk"})
    assert normalized_record(record, bulk).consumer.id == "bulk"


def test_long_object_key_is_cut_to_fit_the_resource_field():
    record = sample("s3_get_object.json")
    record["requestParameters"]["key"] = "customers/c-1001/" + "k" * 300
    resource = normalized_record(record).resource
    assert len(resource) == 200 and resource.endswith("…")


# ---- CloudTrail: DynamoDB ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "action", "actor_type", "ip"),
    [
        ("dynamodb_get_item.json", "read", "service", "198.51.100.7"),
        ("dynamodb_put_item.json", "update", "service", "198.51.100.7"),  # PutItem: create or replace
        ("dynamodb_update_item.json", "update", "service", None),  # glue.amazonaws.com is not an address
        ("dynamodb_delete_item.json", "delete", "user", "2001:db8::7"),
    ],
)
def test_dynamodb_item_operation_maps_action_actor_and_address(name, action, actor_type, ip):
    event = normalized(name)
    assert (event.action, event.actor.type, event.source.ip) == (action, actor_type, ip)
    assert event.source.service == "dynamodb.amazonaws.com"
    assert event.consumer.model_dump(exclude_none=True) == {"id": "c-1001"}
    assert event.resource == CUSTOMERS_ARN
    assert (event.data_categories, event.purpose) == (["identifiers"], "account management")


def test_dynamodb_access_denied_is_a_failed_access():
    record = sample("dynamodb_get_item.json") | {"errorCode": "AccessDeniedException",
                                                  "errorMessage": "User is not authorized"}
    assert normalized_record(record).outcome == "failure"


def test_dynamodb_key_is_read_in_typed_form_and_as_email_when_configured():
    record = sample("dynamodb_get_item.json")
    record["requestParameters"] = {"tableName": "Subscribers", "key": {"email": {"S": "ana@example.com"}}}
    event = normalized_record(record)
    assert event.consumer.model_dump(exclude_none=True) == {"email": "ana@example.com"}
    assert event.resource == "arn:aws:dynamodb:us-west-2:111122223333:table/Subscribers"


def test_dynamodb_table_given_as_arn_matches_the_configured_name():
    record = sample("dynamodb_get_item.json")
    record["requestParameters"]["tableName"] = CUSTOMERS_ARN
    assert normalized_record(record).consumer.id == "c-1001"


def test_dynamodb_scan_is_dropped_when_no_consumer_key_is_logged():
    record = sample("dynamodb_get_item.json") | {"eventName": "Scan"}
    record["requestParameters"] = {"tableName": "Customers", "limit": 100}
    assert from_cloudtrail_record(record, CONFIG) is None


def test_transact_write_gives_one_event_per_consumer_and_operation():
    record = sample("dynamodb_transact_write_items.json")
    events = cloudtrail_events(record, CONFIG)
    assert sorted((e.consumer.id, e.action) for e in events) == [("c-1001", "delete"), ("c-3003", "update")]
    assert len({e.event_id for e in events}) == 2
    assert all(e.event_id.startswith("5c6b7a8f-9e0d-4bcc-9e5f-6a7b8c9d0e09#") for e in events)
    assert [e.event_id for e in cloudtrail_events(record, CONFIG)] == [e.event_id for e in events]  # stable
    with pytest.raises(ValueError, match="use cloudtrail_events"):
        from_cloudtrail_record(record, CONFIG)


# ---- Delivery: EventBridge and log files ---------------------------------------------------------------------


def test_eventbridge_event_carries_the_cloudtrail_record():
    [event] = from_eventbridge(sample("eventbridge_s3_get_object.json"), CONFIG)
    assert event == normalized("s3_get_object.json")


def test_eventbridge_event_of_another_kind_gives_nothing():
    event = sample("eventbridge_s3_get_object.json") | {"detail-type": "Object Created"}
    assert from_eventbridge(event, CONFIG) == []


@pytest.mark.parametrize("compress", [gzip.compress, lambda data: data])
def test_log_file_gives_the_personal_data_events_of_its_records(compress):
    names = ["s3_get_object.json", "s3_put_object.json", "dynamodb_get_item.json", "dynamodb_delete_item.json"]
    management = sample("dynamodb_get_item.json") | {"eventName": "DescribeTable", "managementEvent": True,
                                                      "eventCategory": "Management"}
    unconfigured = sample("s3_get_object.json")
    unconfigured["requestParameters"]["bucketName"] = "acme-build-artifacts"
    records = [sample(name) for name in names] + [management, unconfigured]
    events = from_cloudtrail_log_file(compress(json.dumps({"Records": records}).encode()), CONFIG)
    assert [e.event_id for e in events] == [sample(name)["eventID"] for name in names]


def test_log_file_without_records_gives_nothing():
    assert from_cloudtrail_log_file(gzip.compress(b'{"Digest": "not records"}'), CONFIG) == []


def test_normalized_events_pass_the_api_validation_and_serialize_canonically():
    events = [normalized(name) for name in ("s3_get_object.json", "dynamodb_update_item.json")]
    batch = {"events": [e.model_dump(mode="json", exclude_none=True) for e in events]}
    assert validate_batch(batch) == events
    for event in events:
        body = ocsf_details(event, event.occurred_at, {})
        assert body["class_uid"] == 6005
        assert parse_canonical(canonical_bytes(body)) == body  # the samples' float byte counts never get in


def test_every_cloudtrail_sample_becomes_ocsf_that_validates_against_the_published_schema():
    from tests.ocsf_schema import ocsf_errors

    records = [json.loads(path.read_text()) for path in sorted(EVENTS.glob("*.json"))]
    events = [event for record in records for event in
              (from_eventbridge(record, CONFIG) if "detail" in record else cloudtrail_events(record, CONFIG))]
    bodies = [ocsf_details(event, event.occurred_at, {}) for event in events]
    assert len(bodies) >= len(records)
    assert [error for body in bodies for error in ocsf_errors(body)] == []


# ---- Config models -------------------------------------------------------------------------------------------


def test_s3_location_is_refused_when_pattern_has_no_consumer_group():
    with pytest.raises(PydanticValidationError, match="consumer"):
        CloudTrailMapping.model_validate({"s3": [{"bucket": "b", "consumer_pattern": "^customers/([^/]+)/",
                                                  "data_categories": ["identifiers"], "purpose": "p"}]})


# ---- Generic JSON mapping ------------------------------------------------------------------------------------

MAPPING = JsonMapping.model_validate({
    "service": "helpdesk",
    "fields": {
        "event_id": "$.id",
        "occurred_at": "ts",
        "actor.id": "agent.login",
        "actor.type": {"const": "user"},
        "actor.role": "agent.groups.0",
        "action": "verb",
        "source.ip": "client.ip",
        "consumer.email": "customer.email",
        "consumer.id": "customer.number",
        "data_categories": {"const": ["identifiers", "customer_records"]},
        "purpose": {"const": "support ticket handling"},
        "resource": "object.path",
    },
    "actions": {"VIEW": "read", "EDIT": "update", "EXPORT_CSV": "export"},
    "time_format": "epoch_millis",
})
HELPDESK_RECORD = {
    "id": 981234,
    "ts": 1795197540123,
    "agent": {"login": "dana", "groups": ["tier2", "all-agents"]},
    "verb": "VIEW",
    "client": {"ip": "198.51.100.23"},
    "customer": {"email": "ana@example.com", "number": 77},
    "object": {"path": "/tickets/55"},
}


def test_json_mapping_reads_paths_constants_actions_and_epoch_millis():
    assert from_json_mapping(HELPDESK_RECORD, MAPPING) == {
        "event_id": "981234",
        "occurred_at": "2026-11-20T17:59:00.123Z",
        "actor": {"id": "dana", "type": "user", "role": "tier2"},
        "action": "read",
        "source": {"service": "helpdesk", "ip": "198.51.100.23"},
        "consumer": {"email": "ana@example.com", "id": "77"},
        "data_categories": ["identifiers", "customer_records"],
        "purpose": "support ticket handling",
        "resource": "/tickets/55",
    }


def test_json_mapping_output_validates_as_a_batch_item():
    [event] = validate_batch({"events": [from_json_mapping(HELPDESK_RECORD, MAPPING)]})
    assert isinstance(event, AccessEventIn) and event.occurred_at.microsecond == 123000


def test_json_mapping_reads_epoch_seconds_and_omits_absent_optional_fields():
    mapping = MAPPING.model_copy(update={"time_format": "epoch_seconds"})
    record = HELPDESK_RECORD | {"ts": "1795197540", "client": {}, "object": None, "customer": {"number": 77}}
    item = from_json_mapping(record, mapping)
    assert item["occurred_at"] == "2026-11-20T17:59:00.000Z"
    assert item["source"] == {"service": "helpdesk"} and "resource" not in item
    assert item["consumer"] == {"id": "77"}


def test_json_mapping_names_target_and_path_when_required_source_is_missing():
    record = {k: v for k, v in HELPDESK_RECORD.items() if k != "agent"}
    with pytest.raises(ValueError, match=r"actor\.id: the record has nothing at path 'agent\.login'"):
        from_json_mapping(record, MAPPING)


def test_json_mapping_names_both_paths_when_consumer_is_missing():
    with pytest.raises(ValueError, match=r"consumer: .*'customer\.email'.*'customer\.number'"):
        from_json_mapping(HELPDESK_RECORD | {"customer": {}}, MAPPING)


def test_json_mapping_refuses_time_that_is_not_in_the_configured_format():
    with pytest.raises(ValueError, match=r"occurred_at: .* is not epoch millis"):
        from_json_mapping(HELPDESK_RECORD | {"ts": "2026-11-20T17:59:00Z"}, MAPPING)


def test_unmapped_action_passes_through_and_is_refused_by_batch_validation():
    item = from_json_mapping(HELPDESK_RECORD | {"verb": "PRINT"}, MAPPING)
    with pytest.raises(ValidationError) as caught:
        validate_batch({"events": [item]})
    assert [d["field"] for d in caught.value.details] == ["events[0].action"]


def test_json_mapping_is_refused_when_a_required_target_is_not_mapped():
    fields = {k: v for k, v in MAPPING.fields.items() if k not in ("purpose", "consumer.email", "consumer.id")}
    with pytest.raises(PydanticValidationError, match=r"purpose, consumer\.email or consumer\.id"):
        JsonMapping.model_validate({"service": "helpdesk", "fields": fields})
