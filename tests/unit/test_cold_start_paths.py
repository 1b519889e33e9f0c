"""What a cold start loads: no X-Ray SDK where tracing is off, no pydantic-settings, no cryptography for intake."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pydantic
import pytest

from shared.config import Settings
from shared.observability import UntracedTracer, tracing_enabled

ROOT = Path(__file__).resolve().parents[2]


def _printed(code: str, **env: str) -> set[str]:
    """The words a fresh process running `code` prints."""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1", **env}).stdout
    return set(out.split())


def _loaded_after(statement: str, **env: str) -> set[str]:
    return _printed(f"import sys\n{statement}\nprint(' '.join(sorted(sys.modules)))", **env)


def test_intake_cold_import_loads_neither_xray_nor_pydantic_settings_nor_cryptography_when_tracing_is_off():
    loaded = _loaded_after("import functions.intake.app", POWERTOOLS_TRACE_DISABLED="true")
    assert "functions.intake.app" in loaded
    assert not {name for name in loaded if name.split(".")[0] in ("aws_xray_sdk", "pydantic_settings", "cryptography")}
    assert "shared.services.consents" not in loaded and "boto3" not in loaded


def test_sealer_cold_import_loads_neither_the_ledger_writer_nor_api_models_nor_powertools_parser_models():
    loaded = _loaded_after("import functions.seal.app\nfrom shared import wiring\nwiring.merkle_log()",
                           POWERTOOLS_TRACE_DISABLED="true")
    assert "shared.services.merkle_log" in loaded
    assert not loaded & {"shared.models.consent", "shared.services.ledger_writer", "shared.models.api",
                         "shared.models.access_events", "shared.ledger.envelope"}
    assert "aws_lambda_powertools.utilities.parser.models" not in loaded


@pytest.mark.parametrize(("env", "enabled"), [
    ({"LAMBDA_TASK_ROOT": "/var/task"}, True),
    ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "true"}, False),
    ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "0"}, True),
    ({"LAMBDA_TASK_ROOT": "/var/task", "AWS_SAM_LOCAL": "true"}, False),
    ({}, False),
])
def test_tracing_is_on_only_in_lambda_unless_disabled_when_the_environment_is(env, enabled):
    assert tracing_enabled(env) is enabled


def test_untraced_decorators_return_the_function_itself_when_used_with_or_without_arguments():
    tracer = UntracedTracer()

    def handler(event, context):
        return event

    assert tracer.capture_lambda_handler(handler) is handler
    assert tracer.capture_lambda_handler(capture_response=False)(handler) is handler
    assert tracer.capture_method(capture_response=False)(handler) is handler


def test_settings_read_the_environment_in_any_case_and_parse_object_fields_as_json(monkeypatch):
    monkeypatch.setenv("INDEX_TABLE", "from-env")
    monkeypatch.setenv("page_size", "25")
    monkeypatch.setenv("DATA_CATEGORY_MAP", json.dumps({"favourite_colour": "inferences"}))
    settings = Settings()
    assert (settings.index_table, settings.page_size) == ("from-env", 25)
    assert settings.data_category_map == {"favourite_colour": "inferences"}
    assert Settings(index_table="given").index_table == "given"  # arguments win over the environment


def test_settings_refuse_a_bad_environment_value_when_built(monkeypatch):
    monkeypatch.setenv("RETENTION_REQUEST_DAYS", "30")
    with pytest.raises(pydantic.ValidationError, match="retention_request_days"):
        Settings()
    monkeypatch.delenv("RETENTION_REQUEST_DAYS")
    monkeypatch.setenv("DATA_CATEGORY_MAP", "{not json")
    with pytest.raises(pydantic.ValidationError):
        Settings()


def test_export_api_cold_start_loads_neither_the_batch_utility_nor_the_access_log_until_a_consumer_export():
    code = ("import functions.export.app\nfrom shared import wiring\nwiring.ledger()\nwiring.exports()\n"
            "import sys\nprint('batch', 'aws_lambda_powertools.utilities.batch' in sys.modules)\n"
            "print('access log', {'shared.services.access_log', 'shared.services.read_requests'} & set(sys.modules))\n"
            "print('athena', 'shared.adapters.athena_access_engine' in sys.modules)\n"
            "wiring.exports().access.search\n"  # a consumer's export reaches the engine: built then
            "print('athena', 'shared.adapters.athena_access_engine' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "true",
                              "ACCESS_SEARCH_ENGINE": "athena"}).stdout.split("\n")
    assert out[:4] == ["batch False", "access log set()", "athena False", "athena True"]


def test_a_cold_start_builds_no_request_or_response_model_until_a_route_uses_it():
    code = ("import functions.intake.app\nfrom shared.models import api, consent\n"
            "print(api.SubmitRequestBody.__pydantic_complete__, api.RequestSummaryOut.__pydantic_complete__, "
            "consent.NoticeVersion.__pydantic_complete__)\n"
            "api.SubmitRequestBody.model_validate({'type': 'opt_out_sale_sharing', 'channel': 'web_form', "
            "'consumer': {'email': 'a@example.com'}})\n"
            "print(api.SubmitRequestBody.__pydantic_complete__)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "true"})
    assert out.stdout.split("\n")[:2] == ["False False False", "True"]


def test_intake_cold_start_builds_only_the_models_its_first_request_needs_when_imported_and_wired():
    built = _printed(
        "import functions.intake.app\nfrom shared import wiring\n"
        "wiring.ledger(); wiring.downstream(); wiring.status_tokens()\nimport pydantic\n"
        "def subclasses(cls):\n    for sub in cls.__subclasses__():\n        yield sub\n        yield from subclasses(sub)\n"
        "print(*(f'{c.__module__}.{c.__name__}' for c in subclasses(pydantic.BaseModel) if c.__pydantic_complete__))",
        POWERTOOLS_TRACE_DISABLED="true", AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test")
    assert built == {"shared.config.Settings", "shared.ledger.envelope.Actor", "shared.ledger.envelope.Envelope",
                     "shared.models.records.ClockRecord", "shared.models.records.DownstreamState",
                     "shared.models.records.RequestRecord", "shared.models.records.StoredEvent",
                     "shared.models.systems.DownstreamSystem"}
    assert "shared.services.read_requests" not in _loaded_after("import functions.intake.app",
                                                                POWERTOOLS_TRACE_DISABLED="true")


@pytest.mark.parametrize("name", sorted(path.parent.name for path in (ROOT / "functions").glob("*/app.py")))
def test_a_function_import_runs_without_collections_then_freezes_what_it_loaded_and_collects_again(name):
    # Byte code written first, as the layer ships it (compiling may collect): an empty value lets Python write it.
    _printed(f"import functions.{name}.app", PYTHONDONTWRITEBYTECODE="")
    # Collections counted from shared.cold_start's import until the freeze.
    code = ("import gc, sys\ncounts = []\n"
            "gc.callbacks.append(lambda phase, _: phase == 'start' and 'shared.cold_start' in sys.modules and "
            "not gc.get_freeze_count() and counts.append(1))\n"
            f"import functions.{name}.app\n"
            "print('collections', len(counts), 'enabled', gc.isenabled(), 'frozen', gc.get_freeze_count() > 20000)")
    printed = _printed(code, POWERTOOLS_TRACE_DISABLED="true", PYTHONDONTWRITEBYTECODE="")
    assert printed == {"collections", "0", "enabled", "True", "frozen"}


FIRST_REQUEST_WIRING = {
    "export": "wiring.ledger(); wiring.exports()",
    "intake": "wiring.ledger(); wiring.downstream(); wiring.status_tokens()",
}
# Model modules of other areas: loading one costs a cold start its class builds (about 0.2 ms a class, deferred or
# not) for nothing the function's first request uses. The deployed category table is empty (template.yaml).
NOT_LOADED = {
    "export": {"shared.models.api", "shared.models.search", "shared.models.access_stream", "shared.models.consent",
               "shared.models.notices", "shared.models.downstream", "shared.models.systems",
               "shared.models.data_categories", "statistics"},
    "intake": {"shared.models.request_views", "shared.models.actions", "shared.models.search",
               "shared.models.consent", "shared.models.downstream", "shared.models.system_api",
               "shared.models.access_batch", "shared.models.access_stream", "shared.models.data_categories"},
}


@pytest.mark.parametrize("name", sorted(FIRST_REQUEST_WIRING))
def test_a_cold_start_loads_no_model_module_its_first_request_does_not_use(name):
    loaded = _loaded_after(f"import functions.{name}.app\nfrom shared import wiring\n{FIRST_REQUEST_WIRING[name]}",
                           POWERTOOLS_TRACE_DISABLED="true", AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                           DATA_CATEGORY_MAP="{}")
    assert f"functions.{name}.app" in loaded
    assert not loaded & NOT_LOADED[name]


def test_models_moved_out_of_a_module_are_still_found_under_their_old_names():
    from shared.models import access_batch, access_stream, actions, api, consent, fields, notices, request_views
    from shared.models import system_api, systems

    assert api.RequestSummaryOut is request_views.RequestSummaryOut
    assert api.ActionBody is actions.ActionBody
    assert api.LongText is fields.LongText and api.names_staff_channel is fields.names_staff_channel
    assert systems.SystemBody is system_api.SystemBody
    assert consent.NoticeVersion is notices.NoticeVersion
    assert access_batch.AcceptedAccess is access_stream.AcceptedAccess
    with pytest.raises(AttributeError):
        api.NoSuchModel  # noqa: B018
    with pytest.raises(AttributeError):
        systems.NoSuchModel  # noqa: B018


def test_the_logs_list_defaults_are_a_new_list_for_each_instance():
    from shared.models.merkle_log import LogBatch, LogState

    first, second = LogBatch(start=0, leaves=[]), LogBatch(start=0, leaves=[])
    first.paths.append(b"x")
    assert second.paths == [] and LogBatch(start=0, leaves=[]).paths == []
    state = {"size": 1, "root": "00", "checkpoint": "c", "checkpoint_key": "k", "checkpoint_version": "v",
             "key_id": "id", "batch_key": "b", "marked": True}
    one, two = LogState(**state), LogState.model_validate(state)
    one.edge.append("ab")
    assert two.edge == [] and LogState(**state).edge == []
