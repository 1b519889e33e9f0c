"""Runtime configuration: one frozen Settings object read from the environment (UPPER_SNAKE of each field).

A plain pydantic model fills itself from the environment: pydantic-settings cost every cold start about 115 ms."""

import json
import os
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

# Records about a consumer request must be kept at least 24 months (11 CCR 7101); never configurable lower.
RETENTION_FLOOR_DAYS = 730


def _category_table(table: dict[str, str]) -> dict[str, str]:
    """A configured label table, checked against the CCPA categories (shared/models/data_categories.py). That
    module loads only for a table to check: an empty one (the default) has none, and only access-event paths read
    categories."""
    if not table:
        return table
    from shared.models.data_categories import check_table

    return check_table(table)


Calendar = Literal["weekends-only", "us-federal", "california", "us-federal+california"]


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _from_environment(cls, given: Any) -> Any:
        """Each field not given is read from its UPPER_SNAKE variable; object-valued fields hold JSON there."""
        if not isinstance(given, dict):
            return given
        values = dict(given)
        environment = {key.lower(): value for key, value in os.environ.items()}  # names match in any case
        for name in cls.model_fields.keys() - values.keys():
            raw = environment.get(name)
            if raw is not None:
                values[name] = json.loads(raw) if name in _JSON_FIELDS else raw
        return values

    # Resources
    evidence_bucket: str = "ccpa-evidence"
    export_bucket: str = "ccpa-exports"
    index_table: str = "ccpa-index"
    idempotency_table: str = "ccpa-idempotency"
    evidence_key_id: str = "alias/ccpa-evidence"
    consumer_tag_key_id: str = "alias/ccpa-consumer-tag"
    checkpoint_key_id: str = "alias/ccpa-checkpoint"
    alerts_topic_arn: str = ""
    event_bus_name: str = "default"
    suppression_state_machine_arn: str = ""
    # Webhook signing secrets live in Secrets Manager under this prefix (one secret per downstream system).
    system_secret_prefix: str = "ccpa-audit/systems/"
    # Base URL downstream systems call back (`<base>/callbacks/<system_id>`): the API's public address.
    public_base_url: str = ""

    # Who may call: "local" accepts only `Bearer local-<role>`; "jwt" reads groups from the API Gateway authorizer.
    auth_mode: Literal["local", "jwt"] = "jwt"
    jwt_groups_claim: str = "cognito:groups"

    # Clocks (DESIGN section 5)
    business_time_zone: str = "America/Los_Angeles"
    holiday_calendar: Calendar = "us-federal"
    at_risk_business_days: int = Field(default=3, ge=0)
    at_risk_calendar_days: int = Field(default=7, ge=0)
    staff_backdate_max_days: int = Field(default=45, ge=0)
    # Whether the business sells or shares personal information: an unverifiable deletion must then offer an opt-out.
    sells_or_shares: bool = True

    # Retention (days) per record type; none can go below the 24-month floor the evidence bucket enforces.
    retention_request_days: int = Field(default=RETENTION_FLOOR_DAYS, ge=RETENTION_FLOOR_DAYS)
    retention_consent_days: int = Field(default=RETENTION_FLOOR_DAYS, ge=RETENTION_FLOOR_DAYS)
    retention_notice_days: int = Field(default=RETENTION_FLOOR_DAYS, ge=RETENTION_FLOOR_DAYS)
    retention_access_days: int = Field(default=RETENTION_FLOOR_DAYS, ge=RETENTION_FLOOR_DAYS)

    # Index layout: date-keyed partitions are split into shards to stay under 1,000 writes/s each.
    index_shards: int = Field(default=4, ge=1, le=64)
    idempotency_ttl_hours: int = Field(default=24, ge=1)

    max_body_bytes: int = 256 * 1024
    page_size: int = Field(default=50, ge=1, le=500)
    presign_expiry_seconds: int = Field(default=900, ge=1, le=604800)
    # Exports of up to this many events are built within the API call (201); larger ones are queued (202).
    export_sync_max_events: int = Field(default=2000, ge=0)
    export_retention_days: int = Field(default=30, ge=1)
    ledger_origin: str = "ccpa-audit.example/ledger"
    # Events appended per sealer run (oldest first); a backlog drains over successive runs.
    seal_batch_size: int = Field(default=10_000, ge=1, le=50_000)

    # Downstream callbacks: a signature older or newer than this is refused, and each signature is usable once.
    # `lastUpdate` of /.well-known/gpc.json: when this site's GPC support statement last changed.
    gpc_last_update: str = Field(default="2026-01-01", pattern=r"^\d{4}-\d{2}-\d{2}$")
    callback_window_seconds: int = Field(default=300, ge=30, le=900)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=25)
    # The business that collects consent: named as the controller on every consent receipt.
    controller_name: str = Field(default="ccpa-audit", min_length=1, max_length=200)

    # Access-log search over the batch objects: embedded DuckDB (local; objects cached under access_cache_dir)
    # or Athena over the Glue table (AWS).
    access_search_engine: Literal["duckdb", "athena"] = "duckdb"
    access_cache_dir: str = ""  # empty: <temp dir>/ccpa-access-batches
    athena_database: str = "ccpa_audit"
    athena_access_table: str = "access_events"
    athena_compacted_table: str = "access_events_compacted"  # the compacted copies (access/compacted/)
    athena_workgroup: str = "primary"
    athena_output_location: str = ""  # empty: the workgroup's enforced result location

    # Access events: producers' own data labels -> CCPA categories, over the built-in table (JSON object).
    data_category_map: Annotated[dict[str, str], AfterValidator(_category_table)] = Field(default_factory=dict)
    # Accepted access events wait here to become batch objects (docs/access-events.md, "Batch objects").
    access_stream: str = "ccpa-access-events"
    # Which S3 locations and DynamoDB tables hold personal data, for CloudTrail data events (JSON:
    # shared/services/access_normalizers.py CloudTrailMapping); empty: CloudTrail events are all dropped.
    cloudtrail_mapping: dict[str, Any] = Field(default_factory=dict)


_JSON_FIELDS = frozenset({"data_category_map", "cloudtrail_mapping"})


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
