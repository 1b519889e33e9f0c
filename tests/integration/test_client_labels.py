"""Labels as clients spell them (shared/models/labels.py): case, separators and the everyday names of the rights and
channels are read as the canonical value, stored and answered canonically; an unknown label is still 422."""

from datetime import UTC, datetime, timedelta

import pytest

RECEIVED = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def staff_request(kind, channel="email"):
    return {"type": kind, "channel": channel, "consumer": {"email": "lee@example.com"}, "received_at": RECEIVED}


@pytest.mark.parametrize(("sent", "stored"), [
    ("Delete", "delete"), ("DELETE", "delete"), ("deletion", "delete"), ("Opt-Out", "opt_out_sale_sharing"),
    ("Do Not Sell", "opt_out_sale_sharing"), ("opt out sale sharing", "opt_out_sale_sharing"),
    ("Limit", "limit_sensitive_pi"), ("Right to Know", "know"), ("Correction", "correct"),
])
def test_a_request_type_in_the_clients_words_is_stored_as_the_canonical_type(intake, sent, stored):
    status, body, _ = intake("POST", "/requests", staff_request(sent), token="local-agent")
    assert status == 201 and body["type"] == stored
    record = intake("GET", f"/requests/{body['request_id']}", token="local-analyst")[1]
    assert record["type"] == stored


@pytest.mark.parametrize(("sent", "stored"), [("Phone", "toll_free"), ("Toll-Free", "toll_free"), ("E-mail", "email"),
                                              ("Postal Mail", "mail"), ("In Person", "in_person")])
def test_a_channel_in_the_clients_words_is_stored_as_the_canonical_channel(intake, sent, stored):
    status, body, _ = intake("POST", "/requests", staff_request("delete", sent), token="local-agent")
    assert status == 201 and body["channel"] == stored


def test_an_unknown_label_is_still_refused_naming_the_field_and_nothing_is_stored(intake):
    before = intake("GET", "/requests?consumer_email=lee%40example.com", token="local-analyst")[1]["items"]
    status, body, _ = intake("POST", "/requests", staff_request("Banana"), token="local-agent")
    assert status == 422 and body["details"][0]["field"] == "type"
    status, body, _ = intake("POST", "/requests", staff_request("delete", "Carrier Pigeon"), token="local-agent")
    assert status == 422 and body["details"][0]["field"] == "channel"
    assert intake("GET", "/requests?consumer_email=lee%40example.com", token="local-analyst")[1]["items"] == before


def test_search_filters_and_actions_read_the_clients_spelling(intake):
    rid = intake("POST", "/requests", staff_request("Deletion"), token="local-agent")[1]["request_id"]
    status, page, _ = intake("GET", "/requests?type=Delete&status=Received&consumer_email=lee%40example.com",
                             token="local-analyst")
    assert status == 200 and rid in [item["request_id"] for item in page["items"]]
    status, _, _ = intake("POST", f"/requests/{rid}/actions",
                          {"action": "Acknowledge", "sent_at": RECEIVED, "method": "email"}, token="local-analyst")
    assert status == 200
    record = intake("GET", f"/requests/{rid}", token="local-analyst")[1]
    assert record["status"] == "acknowledged"


def test_an_access_events_action_in_capitals_is_stored_and_searched_as_the_canonical_action(intake):
    from tests.integration.test_access_events import item, post, search

    assert post(intake, [item(9101, action="READ"), item(9102, action="Export")])[0] == 202
    found = {event["action"] for event in search(intake, "consumer_email=ana%40example.com&action=Read")}
    assert found == {"read"}


@pytest.mark.parametrize("sent", ["Phone", "Toll-Free", "E-mail", "Postal Mail", "In Person", "authorised agent"])
def test_a_staff_channel_in_the_clients_words_still_needs_an_agents_token_and_nothing_is_stored(intake, sent):
    before = intake("GET", "/requests?consumer_email=lee%40example.com", token="local-analyst")[1]["items"]
    status, body, _ = intake("POST", "/requests", staff_request("delete", sent))
    assert status == 401 and body["error"] == "unauthorized"
    assert intake("GET", "/requests?consumer_email=lee%40example.com", token="local-analyst")[1]["items"] == before


@pytest.mark.parametrize("sent", ["Web", "Web Form", "WEB_FORM"])
def test_a_consumer_channel_in_the_clients_words_needs_no_token(intake, sent):
    payload = {"type": "delete", "channel": sent, "consumer": {"email": "lee@example.com"}}
    status, body, _ = intake("POST", "/requests", payload)
    assert status == 201 and body["channel"] == "web_form"
