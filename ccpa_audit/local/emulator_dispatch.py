"""Request routing in moto 5.2.5's server, remembered rather than worked out again for every request.

- For every request `DomainDispatcherApplication.get_backend_for_host` lists moto's package directory (a listdir
  and an isdir for each of its ~200 entries) and then tries the URL patterns of every service in turn, all under
  one lock that every request thread takes. Its answer depends only on the host string: the directory and the
  patterns do not change while the server runs. Here each host's answer is computed once, by moto's own code, and
  then looked up.
- For every request `BaseResponse.call_action` lists the names of its response class's methods
  (`inspect.getmembers` over a few hundred attributes) to check that the action is one of them. A class's methods
  are fixed once the emulator's corrections are applied (they replace methods, never add one), so each class's
  list is computed once by moto's own function.
- werkzeug formats an access-log line for every request and only then finds its logger silenced (the local
  stack sets it to errors only); the line is now formatted only when the logger would print it.
"""

import functools
import logging
from typing import Any

HOSTS_REMEMBERED = 1024  # a host is a service and region name: a stack uses a handful
CLASSES_REMEMBERED = 256  # a response class per service


def apply() -> None:
    from moto.core import responses
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication
    from werkzeug.serving import WSGIRequestHandler

    route = DomainDispatcherApplication.get_backend_for_host
    remembered = functools.lru_cache(maxsize=HOSTS_REMEMBERED)(lambda app, host: route(app, host))

    @functools.wraps(route)
    def get_backend_for_host(self: Any, host: str | None) -> Any:
        return remembered(self, host)

    get_backend_for_host.cache_info = remembered.cache_info  # type: ignore[attr-defined]
    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host  # type: ignore[method-assign]

    names = responses.method_names_from_class
    responses.method_names_from_class = functools.wraps(names)(  # type: ignore[assignment]
        functools.lru_cache(maxsize=CLASSES_REMEMBERED)(names))

    log_request = WSGIRequestHandler.log_request
    access_log = logging.getLogger("werkzeug")

    @functools.wraps(log_request)
    def log_if_printed(self: Any, *args: Any, **kwargs: Any) -> None:
        if access_log.isEnabledFor(logging.INFO):
            log_if_printed.__wrapped__(self, *args, **kwargs)  # type: ignore[attr-defined]

    WSGIRequestHandler.log_request = log_if_printed  # type: ignore[method-assign]
