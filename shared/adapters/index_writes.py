"""Small DynamoDB helpers shared by the index adapters of notices and consents: an all-or-nothing write whose
failed condition becomes a domain conflict, and a Query read to its last page."""

from typing import Any

from botocore.exceptions import ClientError

from shared.errors import DomainError, StorageUnavailableError

CONDITION_FAILED = ("TransactionCanceledException", "ConditionalCheckFailedException")


def transact(db: Any, writes: list[dict[str, Any]], conflict: DomainError) -> None:
    """Raises `conflict` when a condition refused the transaction, StorageUnavailableError on any other fault."""
    try:
        db.transact_write_items(TransactItems=writes)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in CONDITION_FAILED:
            raise conflict from error
        raise StorageUnavailableError("the index refused the write") from error


def query_all(db: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item of a Query (raw attribute values), following LastEvaluatedKey."""
    params = dict(params)
    found: list[dict[str, Any]] = []
    while True:
        response = db.query(**params)
        found.extend(response.get("Items", []))
        if "LastEvaluatedKey" not in response:
            return found
        params["ExclusiveStartKey"] = response["LastEvaluatedKey"]
