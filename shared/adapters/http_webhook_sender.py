"""HttpWebhookSender: POSTs a signed instruction to a downstream system (stdlib HTTP, no extra dependency)."""

import urllib.error
import urllib.request
from typing import TYPE_CHECKING

from shared.errors import DownstreamUnavailableError
from shared.observability import tracer

if TYPE_CHECKING:
    from shared.models.downstream import WebhookReply

MAX_REPLY_BYTES = 64 * 1024


class HttpWebhookSender:
    def __init__(self, timeout_seconds: float = 10.0) -> None:
        self._timeout = timeout_seconds

    @tracer.capture_method(capture_response=False)
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> "WebhookReply":
        # Loaded with the first delivery: intake builds this port with the others but never posts.
        from shared.models.downstream import WebhookReply

        request = urllib.request.Request(url, data=body, method="POST",  # noqa: S310  URL scheme checked at registration
                                         headers={"content-type": "application/json", **headers})
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as reply:  # noqa: S310
                return WebhookReply(status=reply.status, body=reply.read(MAX_REPLY_BYTES))
        except urllib.error.HTTPError as error:
            return WebhookReply(status=error.code, body=error.read(MAX_REPLY_BYTES) if error.fp else b"")
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
            raise DownstreamUnavailableError(f"could not reach the system: {type(error).__name__}") from error
