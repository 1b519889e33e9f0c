"""Request routing in moto 5.2.5's server, remembered per host.

For every request `DomainDispatcherApplication.get_backend_for_host` lists moto's package directory (a listdir and
an isdir for each of its ~200 entries) and then tries the URL patterns of every service in turn, all under one lock
that every request thread takes. Its answer depends only on the host string: the directory and the patterns do not
change while the server runs. Here each host's answer is computed once, by moto's own code, and then looked up.
"""

import functools
from typing import Any

HOSTS_REMEMBERED = 1024  # a host is a service and region name: a stack uses a handful


def apply() -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    route = DomainDispatcherApplication.get_backend_for_host
    remembered = functools.lru_cache(maxsize=HOSTS_REMEMBERED)(lambda app, host: route(app, host))

    @functools.wraps(route)
    def get_backend_for_host(self: Any, host: str | None) -> Any:
        return remembered(self, host)

    get_backend_for_host.cache_info = remembered.cache_info  # type: ignore[attr-defined]
    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host  # type: ignore[method-assign]
