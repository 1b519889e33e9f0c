"""Compact S3 object records for moto 5.2.5.

Every `FakeKey` builds its own private ACL (an ACL, a grant, a grantee and three lists), its own list of restore
transitions, and its own copies of the account, region, partition and bucket strings: about 1 KB per object
version, and the stack writes several objects per request. Here keys with the default private ACL share one, the
transitions are one shared list, and the repeated strings are interned. moto never changes an ACL in place (a
new ACL replaces the whole attribute through `set_acl`) nor the transitions list, so sharing changes nothing it
answers.
"""

import functools
import sys
from typing import Any

_SHARED_STRINGS = ("account_id", "region_name", "partition", "bucket_name", "model_name")


def _same_acl(acl: Any, other: Any) -> bool:
    """Equal grants: the same permissions to the same grantees (moto builds every canned ACL afresh)."""
    def grants(of: Any) -> list[tuple[Any, ...]]:
        return [(tuple(g.permissions), tuple((e.id, e.uri, e.display_name) for e in g.grantees)) for g in of.grants]

    return acl is not None and type(acl) is type(other) and grants(acl) == grants(other)


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
        for name in _SHARED_STRINGS:
            value = self.__dict__.get(name)
            if type(value) is str:
                self.__dict__[name] = sys.intern(value)

    models.FakeKey.__init__ = compact_init  # type: ignore[method-assign]
