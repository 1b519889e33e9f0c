"""Producers' data labels and the CCPA categories of personal information they map to.

An access event is never refused for its vocabulary: a producer labels data in its own words (`contact`,
`billing address`). Each label is looked up, case- and separator-insensitively (`Contact Info` reads as
`contact_info`), first in the configured table (`DATA_CATEGORY_MAP`, JSON `{"label": "category"}`), then in
`DEFAULT_LABELS`. A CCPA category name or a `sensitive_<name>` maps to itself. A label found nowhere is kept as
given and listed as unmapped, so the record survives and a person can extend the table.
"""

import re
from dataclasses import dataclass

from shared.models.labels import label_key as _key

# Civ. Code 1798.140(v)(1)(A)-(K); (L) sensitive personal information is split into `sensitive_*` names
# (1798.140(ae)), e.g. sensitive_government_id, sensitive_account_credentials, sensitive_health.
CCPA_CATEGORIES = frozenset({
    "identifiers",
    "customer_records",  # the 1798.80(e) categories: name, signature, address, phone, financial details...
    "protected_classifications",
    "commercial_information",
    "biometric_information",
    "internet_activity",
    "geolocation_data",
    "sensory_data",
    "professional_information",
    "education_information",
    "inferences",
})
_SENSITIVE = re.compile(r"^sensitive_[a-z0-9]+(?:_[a-z0-9]+)*$")

# Common producer labels; the configured table adds to these and wins over them.
DEFAULT_LABELS: dict[str, str] = {
    **dict.fromkeys(("contact", "contact_info", "contact_information", "contact_details", "email",
                     "email_address", "name", "full_name", "alias", "user_id", "customer_id", "account_id",
                     "account_number", "ip_address", "device_id", "cookie_id", "advertising_id",
                     "online_identifier", "identifier", "phone", "phone_number"), "identifiers"),
    **dict.fromkeys(("address", "postal_address", "billing_address", "shipping_address", "signature",
                     "bank_account", "insurance_policy", "financial_information", "payment_details"),
                    "customer_records"),
    **dict.fromkeys(("age", "date_of_birth", "gender", "sex", "marital_status", "veteran_status",
                     "disability"), "protected_classifications"),
    **dict.fromkeys(("purchases", "purchase_history", "orders", "order_history", "transactions",
                     "subscriptions"), "commercial_information"),
    **dict.fromkeys(("biometrics", "biometric", "fingerprint", "face_geometry", "voiceprint"),
                    "biometric_information"),
    **dict.fromkeys(("browsing_history", "search_history", "clickstream", "web_activity", "app_activity",
                     "usage_data"), "internet_activity"),
    **dict.fromkeys(("location", "geolocation", "coarse_location"), "geolocation_data"),
    **dict.fromkeys(("audio", "call_recording", "voice_recording", "video", "photo", "photos"), "sensory_data"),
    **dict.fromkeys(("employment", "employer", "job_title", "employment_history"), "professional_information"),
    **dict.fromkeys(("education", "education_records", "transcripts"), "education_information"),
    **dict.fromkeys(("profile", "preferences", "segments", "interests", "propensity_scores"), "inferences"),
    **dict.fromkeys(("ssn", "social_security_number", "passport", "passport_number", "drivers_license",
                     "state_id", "government_id"), "sensitive_government_id"),
    **dict.fromkeys(("password", "credentials", "login_credentials"), "sensitive_account_credentials"),
    **dict.fromkeys(("card_number", "credit_card", "debit_card"), "sensitive_financial_account"),
    **dict.fromkeys(("precise_location", "precise_geolocation", "gps"), "sensitive_precise_geolocation"),
    **dict.fromkeys(("health", "medical", "health_data"), "sensitive_health"),
    **dict.fromkeys(("race", "ethnicity", "ethnic_origin"), "sensitive_racial_or_ethnic_origin"),
    **dict.fromkeys(("religion", "beliefs"), "sensitive_religious_or_philosophical_beliefs"),
    **dict.fromkeys(("union_membership",), "sensitive_union_membership"),
    **dict.fromkeys(("citizenship", "immigration_status"), "sensitive_citizenship_or_immigration_status"),
    **dict.fromkeys(("sexual_orientation", "sex_life"), "sensitive_sex_life_or_orientation"),
    **dict.fromkeys(("genetic_data",), "sensitive_genetic_data"),
    **dict.fromkeys(("messages", "email_contents", "text_messages"), "sensitive_communications_contents"),
}


def is_category(name: str) -> bool:
    return name in CCPA_CATEGORIES or bool(_SENSITIVE.match(name))


def check_table(table: dict[str, str]) -> dict[str, str]:
    """A configured table maps labels to real categories only (a typo there would mislabel every event)."""
    bad = sorted(f"{label} -> {category}" for label, category in table.items() if not is_category(category))
    if bad:
        raise ValueError("maps labels to names that are not CCPA categories or sensitive_<name>: " + ", ".join(bad))
    return {_key(label): category for label, category in table.items()}


@dataclass(frozen=True)
class Categorized:
    categories: list[str]  # the CCPA categories the labels map to, distinct, in the labels' order
    unmapped: list[str]  # labels no table knows, as given


def categorize(labels: list[str], table: dict[str, str]) -> Categorized:
    categories: dict[str, None] = {}
    unmapped: list[str] = []
    for label in labels:
        key = _key(label)
        category = key if is_category(key) else table.get(key) or DEFAULT_LABELS.get(key)
        if category:
            categories[category] = None
        else:
            unmapped.append(label)
    return Categorized(list(categories), unmapped)
