"""The published OCSF JSON schema, for validating every OCSF object the product writes.

Source: the `ocsf-json-schema` package (pinned in pyproject.toml), which ships the schema exports served by the
OCSF schema server (`https://schema.ocsf.io/<version>/export/schema`, here 1.5.0) and builds from them the JSON
Schema (draft 2020-12) of a class with the profiles an event declares in `metadata.profiles`, every referenced
object embedded. Nothing here is written by hand.
"""

from functools import lru_cache
from typing import Any

import jsonschema
from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema

VERSION = "1.5.0"


@lru_cache(maxsize=1)
def _ocsf() -> OcsfJsonSchemaEmbedded:
    return OcsfJsonSchemaEmbedded(get_ocsf_schema(version=VERSION))


@lru_cache(maxsize=None)
def _validator(class_uid: int, profiles: tuple[str, ...]) -> jsonschema.Draft202012Validator:
    ocsf = _ocsf()
    schema = ocsf.get_class_schema(class_name=ocsf.lookup_class_name_from_uid(class_uid=class_uid),
                                   profiles=list(profiles))
    return jsonschema.Draft202012Validator(schema)


def ocsf_errors(event: dict[str, Any]) -> list[str]:
    """Each way `event` breaks the published schema of the class and profiles it declares (empty when valid)."""
    assert event["metadata"]["version"] == VERSION
    validator = _validator(event["class_uid"], tuple(event["metadata"].get("profiles", [])))
    return [f"{'/'.join(map(str, error.absolute_path)) or '(event)'}: {error.message}"
            for error in validator.iter_errors(event)]
