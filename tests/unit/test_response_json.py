"""Response bodies are written by orjson: the same JSON value as the standard library's, compact as pydantic
writes the response models; what orjson refuses falls back to the standard library."""

import json

import pytest

from functions.intake import app
from shared.api import json_response, json_text

PAYLOADS = [
    {"request_id": "0190-ab", "clocks": {"respond_by": {"due": "2026-01-01", "days_left": -3, "met": False,
                                                        "satisfied_at": None}}, "status_token": "tok"},
    {"error": {"code": "validation_failed", "message": "Field a is bad.", "details": [{"field": "a"}]}},
    {"name": "Zoë 李 🙂", "line": "a\nb\t\"c\"\\", "control": "\u0001\u007f\u2028"},
    {"counts": [0, -1, 2**63 - 1], "flags": [True, False, None]},
    [], {}, "text", 7, None, True,
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_body_reads_back_as_the_standard_library_wrote_it(payload):
    text = json_text(payload)
    assert json.loads(text) == json.loads(json.dumps(payload))
    assert text == json.dumps(payload, separators=(",", ":"), ensure_ascii=False)  # compact, UTF-8, order kept


def test_floats_keep_their_values_though_an_exponent_may_be_spelled_shorter():
    payload = {"median_days_to_respond": 12.5, "mean": 0.1, "tiny": 1e-7, "huge": 1e16}
    assert json.loads(json_text(payload)) == payload
    assert json_text({"median": 12.5, "mean": 0.1}) == '{"median":12.5,"mean":0.1}'


@pytest.mark.parametrize("payload", [{1: "int key"}, {"big": 2**64}, {"nested": [{"big": -(2**70)}]}])
def test_what_orjson_refuses_is_written_by_the_standard_library(payload):
    assert json.loads(json_text(payload)) == json.loads(json.dumps(payload))


def test_json_response_and_a_route_s_own_dict_are_written_alike():
    response = json_response(201, {"a": [1, "é"]}, {"Location": "/x"})
    assert response.body == '{"a":[1,"é"]}' and response.headers["Location"] == "/x"
    assert app.app._serializer is json_text
