"""Compact S3 object records for moto 5.2.5.

Every `FakeKey` builds its own private ACL (an ACL, a grant, a grantee and three lists), its own list of restore
transitions, and its own copies of the account, region, partition and bucket strings: about 1 KB per object
version, and the stack writes several objects per request. Its 35 attributes also put it past the 30 that
Python's key-sharing instance dicts allow, so each record carries a full dict of about 1.6 KB. Here keys with the
default private ACL share one, the transitions are one shared list, the repeated strings are interned, and the
attributes still at their defaults (None, False, 0: lock, checksum and encryption fields of an ordinary object)
are read from the class instead, which halves the instance dict; moto sets them on the object when it changes
them, as before. moto never changes an ACL in place (a new ACL replaces the whole attribute through `set_acl`)
nor the transitions list, so sharing changes nothing it answers.
"""

import functools
import sys
from typing import Any

_SHARED_STRINGS = ("account_id", "region_name", "partition", "bucket_name", "model_name")
_DEFAULTS: dict[str, Any] = {
    **dict.fromkeys(("_status", "website_redirect_location", "_expiry", "multipart", "encryption", "kms_key_id",
                     "bucket_key_enabled", "lock_mode", "lock_legal_status", "lock_until", "checksum_algorithm",
                     "checksum_value", "checksum_type", "checksum_parts")),
    "_tick": 0, "_is_versioned": False, "disposed": False}


def _same_acl(acl: Any, other: Any) -> bool:
    """Equal grants: the same permissions to the same grantees (moto builds every canned ACL afresh)."""
    def grants(of: Any) -> list[tuple[Any, ...]]:
        return [(tuple(g.permissions), tuple((e.id, e.uri, e.display_name) for e in g.grantees)) for g in of.grants]

    return acl is not None and type(acl) is type(other) and grants(acl) == grants(other)


def _is_default(value: Any, default: Any) -> bool:
    return type(value) is type(default) and value == default


def apply() -> None:
    from moto.s3 import models

    private = models.get_canned_acl("private")
    original = models.FakeKey.__init__
    transitions: dict[tuple[Any, ...], list[Any]] = {}

    @functools.wraps(original)
    def compact_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if _same_acl(self.acl, private):
            self.acl = private
        self._transitions = transitions.setdefault(tuple(self._transitions), self._transitions)
        attrs = self.__dict__
        for name in _SHARED_STRINGS:
            value = attrs.get(name)
            if type(value) is str:
                attrs[name] = sys.intern(value)
        # a new dict sized for what is left: deleting entries never shrinks a dict
        self.__dict__ = {name: value for name, value in attrs.items()
                         if name not in _DEFAULTS or not _is_default(value, _DEFAULTS[name])}

    for name, default in _DEFAULTS.items():
        if not hasattr(models.FakeKey, name):  # never shadow a method or property of moto's
            setattr(models.FakeKey, name, default)
    models.FakeKey.__init__ = compact_init  # type: ignore[method-assign]
