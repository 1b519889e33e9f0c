"""SqsExportQueue: large exports are built by ExportFunction from its queue (one job per message)."""

import json
from typing import Any


class SqsExportQueue:
    def __init__(self, queue_url: str, client: Any) -> None:
        self._url = queue_url
        self._sqs = client

    def send(self, export_id: str) -> None:
        self._sqs.send_message(QueueUrl=self._url, MessageBody=json.dumps({"export_id": export_id}))
