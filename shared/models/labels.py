"""Labels as clients spell them. Case, spaces, hyphens, dots and slashes do not matter ("Opt-Out Sale Sharing"
is `opt_out_sale_sharing`), and the everyday names of the CCPA rights and of intake channels name the same value
("opt-out", "deletion", "phone"). Anything else is still refused with the field named (API.md: bad enums are 422),
and answers always use the canonical value."""

import re
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BeforeValidator

_SEPARATORS = re.compile(r"[\s\-./]+")

REQUEST_TYPE_SYNONYMS = {
    **dict.fromkeys(("opt_out", "optout", "opt_out_sale", "opt_out_of_sale", "opt_out_sharing", "opt_out_of_sharing",
                     "opt_out_sale_share", "opt_out_of_sale_sharing", "opt_out_of_sale_or_sharing",
                     "opt_out_of_sale_and_sharing", "do_not_sell", "do_not_sell_or_share", "do_not_share"),
                    "opt_out_sale_sharing"),
    **dict.fromkeys(("limit", "limit_use", "limit_sensitive", "limit_sensitive_data", "limit_sensitive_pii",
                     "limit_use_of_sensitive_pi", "limit_sensitive_personal_information",
                     "limit_use_of_sensitive_personal_information"), "limit_sensitive_pi"),
    **dict.fromkeys(("deletion", "delete_request", "erase", "erasure", "right_to_delete"), "delete"),
    **dict.fromkeys(("access", "access_request", "know_request", "right_to_know"), "know"),
    **dict.fromkeys(("correction", "correct_request", "rectify", "rectification", "right_to_correct"), "correct"),
}
CHANNEL_SYNONYMS = {
    **dict.fromkeys(("web", "webform", "form", "online_form", "website"), "web_form"),
    **dict.fromkeys(("phone", "telephone", "toll_free_number", "tollfree", "call"), "toll_free"),
    **dict.fromkeys(("postal", "postal_mail", "letter", "post"), "mail"),
    **dict.fromkeys(("e_mail",), "email"),
    **dict.fromkeys(("inperson", "walk_in"), "in_person"),
    **dict.fromkeys(("agent", "authorised_agent"), "authorized_agent"),
}


def label_key(label: str) -> str:
    return _SEPARATORS.sub("_", label.strip().lower())


def canonical_label(synonyms: Mapping[str, str] = {}) -> Callable[[Any], Any]:  # noqa: B006 (read only)
    def read(value: Any) -> Any:
        if not isinstance(value, str):
            return value  # a wrong type is refused by the field's own validation, named as such
        key = label_key(value)
        return synonyms.get(key, key)
    return read


def vocabulary(synonyms: Mapping[str, str] = {}) -> BeforeValidator:  # noqa: B006 (read only)
    """For `Annotated[SomeEnum, vocabulary(...)]` on fields clients send."""
    return BeforeValidator(canonical_label(synonyms))
