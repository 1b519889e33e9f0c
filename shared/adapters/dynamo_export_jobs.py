"""DynamoExportJobs: one item per export in the index table (pk EXP#<id>), holding the job as JSON.

Only the HMAC tag of a consumer scope is stored, never the email. Progress is a plain update; the final state is
written once (conditional on `building`), so a retried build cannot overwrite a finished export."""

from typing import Any

from botocore.exceptions import ClientError

from shared.adapters.merged_query import plain
from shared.errors import ConflictError, StorageUnavailableError
from shared.models.export import ExportJob
from shared.observability import tracer


def _key(export_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"EXP#{export_id}"}, "sk": {"S": "META"}}


class DynamoExportJobs:
    def __init__(self, table: str, client: Any) -> None:
        self._table = table
        self._db = client

    @tracer.capture_method(capture_response=False)
    def create(self, job: ExportJob) -> None:
        item = {**_key(job.export_id), "entity": {"S": "export"}, "status": {"S": job.status},
                "body": {"S": job.model_dump_json()}}
        try:
            self._db.put_item(TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise ConflictError(f"export {job.export_id} already exists") from error
            raise StorageUnavailableError("the index refused the write") from error

    @tracer.capture_method(capture_response=False)
    def get(self, export_id: str) -> ExportJob | None:
        raw = self._db.get_item(TableName=self._table, Key=_key(export_id), ConsistentRead=True).get("Item")
        if not raw:
            return None
        item = plain(raw)
        job = ExportJob.model_validate_json(item["body"])
        if item.get("status") == "building" and "progress_total" in item:
            job = job.model_copy(update={"progress_done": item["progress_done"],
                                         "progress_total": item["progress_total"]})
        return job

    @tracer.capture_method(capture_response=False)
    def progress(self, export_id: str, done: int, total: int) -> None:
        try:
            self._db.update_item(
                TableName=self._table, Key=_key(export_id),
                UpdateExpression="SET progress_done = :done, progress_total = :total",
                ConditionExpression="#status = :building",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":done": {"N": str(done)}, ":total": {"N": str(total)},
                                           ":building": {"S": "building"}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise  # a finished export ignores late progress

    @tracer.capture_method(capture_response=False)
    def finish(self, job: ExportJob) -> None:
        try:
            self._db.update_item(
                TableName=self._table, Key=_key(job.export_id),
                UpdateExpression="SET #status = :status, body = :body",
                ConditionExpression="#status = :building",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":status": {"S": job.status}, ":body": {"S": job.model_dump_json()},
                                           ":building": {"S": "building"}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
