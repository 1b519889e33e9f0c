"""The EMF line: the project's provider prints what Powertools' own CloudWatch EMF provider prints, byte for byte,
whichever library writes it."""

import json

import pytest
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

from shared.observability import EmfProvider, emf_text, metrics

STAMP = 1796072826657


def _printed(provider_class, steps, capsys) -> str:
    provider = provider_class(namespace="CcpaAudit", service="intake")
    provider.set_timestamp(STAMP)
    for method, kwargs in steps:
        getattr(provider, method)(**kwargs)
    capsys.readouterr()
    provider.flush_metrics()
    return capsys.readouterr().out


def _metric(name="RequestsReceived", value=1, **more):
    return ("add_metric", {"name": name, "unit": "Count", "value": value, **more})


SCENARIOS = {
    "one count": [_metric()],
    "several metrics and values": [_metric(), _metric(), _metric("ActionsRecorded", 3), _metric("Big", 10**15)],
    "fractions": [_metric(value=0.25), _metric("Tiny", value=1e-05)],
    "beyond 1e16": [_metric(value=1e16), _metric("Huge", value=1e300)],
    "not finite": [_metric(value=float("nan")), _metric("Inf", value=float("inf"))],
    "high resolution": [_metric(resolution=1)],
    "non-ASCII dimension": [_metric(), ("add_dimension", {"name": "region", "value": "Zoë 李"})],
    "escaped dimensions": [_metric(), ("add_dimension", {"name": "a", "value": 'tab\there "quoted" back\\slash'}),
                           ("add_dimension", {"name": "del", "value": "x\x7fy\x01"})],
    "dimension sets": [_metric(), ("add_dimensions", {"environment": "prod", "region": "us-east-1"})],
    "metadata": [_metric(), ("add_metadata", {"key": "request", "value": {"n": 1.5, "ok": True}})],
}


@pytest.mark.parametrize("steps", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_the_line_is_powertools_own_when_metrics_are_flushed(steps, capsys, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    expected = _printed(AmazonCloudWatchEMFProvider, steps, capsys)
    assert expected.endswith("}\n") and expected.count("\n") == 1
    assert _printed(EmfProvider, steps, capsys) == expected


def test_nothing_is_printed_and_nothing_cleared_when_metrics_are_disabled(capsys, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    provider = EmfProvider(namespace="CcpaAudit", service="intake")
    provider.add_metric(name="RequestsReceived", unit="Count", value=1)
    provider.flush_metrics()
    assert capsys.readouterr().out == "" and provider.metric_set  # as Powertools' provider does


@pytest.mark.parametrize("blob", [
    {"_aws": {"Timestamp": STAMP, "CloudWatchMetrics": [{"Namespace": "N", "Dimensions": [["service"]],
                                                          "Metrics": [{"Name": "M", "Unit": "Count"}]}]},
     "service": "s", "M": [1.0, 2.0, -0.0]},
    {"s": "é"}, {"s": "\u2028"}, {"s": "\x00\x1f"}, {"s": "\x7f"}, {"s": '"'}, {"s": "\\"}, {"s": "/"},
    {"n": [0.5]}, {1: "int key"}, {"big": 2**64}, {"ok": [True, False, None]},
])
def test_plain_blobs_are_written_as_json_dumps_writes_them(blob):
    assert emf_text(blob, plain=True) == json.dumps(blob, separators=(",", ":"))


def test_the_functions_metrics_use_the_project_provider():
    assert isinstance(metrics.provider, EmfProvider) and metrics.namespace == "CcpaAudit"
