"""ListObjectVersions without a copy of the whole bucket, for moto 5.2.5.

moto answers every `ListObjectVersions` by deep-copying every version of every key in the bucket (a copy reads
and rewrites each body), sorting them all and only then keeping the ones under the prefix. The sealer lists the
evidence bucket's batch objects every few seconds, and that bucket also holds every request's evidence, so each
listing copied everything the stack had stored: time, and a burst of garbage, in proportion to the bucket.

Here moto's own listing runs with the copies of keys that cannot change its answer left out (the empty list in
place of their versions): a key is kept when it is under the prefix and not before the key marker, and so is the
key moto's marker logic consumes (the marker key itself with a version marker, else the first key at or after
it, whatever its prefix). Dropping whole keys from moto's sorted list keeps every other key's versions in the
same order with the same "is latest" answer, so the page, its markers and its truncation are moto's.
"""

import copy
import functools
import threading
from typing import Any

_listing = threading.local()  # .wanted: the key names one ListObjectVersions call on this thread copies


class _CopyOnlyWanted:
    """Stands in for the `copy` module inside moto's S3 models."""

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        wanted = getattr(_listing, "wanted", None)
        if wanted is not None and type(value) is list and value and value[0].name not in wanted:
            return []
        return copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def wanted_keys(names: list[str], prefix: str, key_marker: str | None, version_id_marker: str | None) -> set[str]:
    """The keys whose versions moto's listing reads for this page (the rest it skips or filters out)."""
    wanted = {name for name in names if name.startswith(prefix) and (key_marker is None or name >= key_marker)}
    if key_marker is not None:
        if version_id_marker:
            wanted.add(key_marker)  # skipped up to and including this version
        else:
            first = min((name for name in names if name >= key_marker), default=None)
            if first is not None:
                wanted.add(first)  # moto skips the first version at or after the marker
    return wanted


def apply() -> None:
    from moto.s3 import models

    models.copy = _CopyOnlyWanted()  # type: ignore[assignment]
    original = models.S3Backend.list_object_versions

    @functools.wraps(original)
    def list_object_versions(self: Any, bucket_name: str, delimiter: str | None = None,
                             key_marker: str | None = None, max_keys: int | None = 1000, prefix: str = "",
                             version_id_marker: str | None = None) -> Any:
        names = list(dict.keys(self.get_bucket(bucket_name).keys))
        _listing.wanted = wanted_keys(names, prefix or "", key_marker, version_id_marker)
        try:
            return original(self, bucket_name, delimiter=delimiter, key_marker=key_marker, max_keys=max_keys,
                            prefix=prefix, version_id_marker=version_id_marker)
        finally:
            _listing.wanted = None

    models.S3Backend.list_object_versions = list_object_versions  # type: ignore[method-assign]
