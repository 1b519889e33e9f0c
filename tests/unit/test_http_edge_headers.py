"""shared.api.header answers as Powertools' case-insensitive headers mapping does."""

import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from shared.api import header


class _App:
    def __init__(self, headers):
        self.current_event = APIGatewayProxyEventV2({"headers": headers} if headers is not None else {})


@pytest.mark.parametrize("headers", [
    None, {}, {"content-type": "application/json"}, {"Content-Type": "text/plain"},
    {"content-type": "a", "Content-Type": "b"}, {"CONTENT-TYPE": "b", "content-type": "a"},
    {"idempotency-key": "k-1", "x-other": "y"}, {"Idempotency-Key": ""},
])
@pytest.mark.parametrize("name", ["content-type", "Content-Type", "idempotency-key", "missing"])
def test_a_header_is_what_the_powertools_mapping_answers(headers, name):
    app = _App(headers)
    assert header(app, name) == app.current_event.headers.get(name)
