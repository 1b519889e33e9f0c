"""The lean DynamoDB answers are byte for byte what moto 5.2.5's own serializer writes, for every call of a
workload that uses each attribute type and every operation the product calls, errors included."""

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.responses import DynamoHandler

from ccpa_audit.local import emulator_dynamodb_responses, emulator_fixes

ITEM = {
    "pk": {"S": "p1"}, "sk": {"S": "s1"}, "n": {"N": "12.50"}, "b": {"B": b"\x00\xffbytes"},
    "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}, "bs": {"BS": [b"x", b"y"]}, "t": {"BOOL": True},
    "z": {"NULL": True}, "m": {"M": {"inner": {"L": [{"S": "x"}, {"N": "3"}, {"M": {"deep": {"B": b"\x01"}}}]}}},
    "e": {"S": ""}, "l": {"L": []},
}


@pytest.fixture
def calls(monkeypatch):
    """Each DynamoDB answer as (operation, lean path taken, our answer, moto's answer)."""
    emulator_fixes.apply()
    ours = DynamoHandler.serialized
    seen = []

    def side_by_side(self, action_result):
        lean = emulator_dynamodb_responses._operation(self._get_action(), self.headers.get("Content-Type", ""))
        try:
            took_lean = lean is not None and not isinstance(action_result.result, Exception) and bool(
                lean[2](action_result.result) or True)
        except emulator_dynamodb_responses._Unsupported:
            took_lean = False
        theirs = ours.moto_serialized(self, action_result)
        theirs = (theirs[0], dict(theirs[1]), theirs[2])  # moto adds to the headers it returned later on
        answer = ours(self, action_result)
        seen.append((self._get_action(), took_lean, (answer[0], dict(answer[1]), answer[2]), theirs))
        return answer

    monkeypatch.setattr(DynamoHandler, "serialized", side_by_side)
    with mock_aws():
        yield seen


def test_every_answer_is_the_bytes_moto_writes_and_the_lean_path_serves_the_product_operations(calls):
    db = boto3.client("dynamodb", region_name="us-east-1")
    db.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                          {"AttributeName": "sk", "AttributeType": "S"}])
    db.put_item(TableName="t", Item=ITEM, ReturnConsumedCapacity="TOTAL")
    db.put_item(TableName="t", Item={**ITEM, "sk": {"S": "s2"}}, ReturnValues="ALL_OLD")
    db.put_item(TableName="t", Item={**ITEM, "sk": {"S": "s2"}, "n": {"N": "1"}}, ReturnValues="ALL_OLD")
    assert db.get_item(TableName="t", Key={"pk": {"S": "p1"}, "sk": {"S": "s1"}})["Item"] == ITEM
    db.get_item(TableName="t", Key={"pk": {"S": "p1"}, "sk": {"S": "nothing"}}, ReturnConsumedCapacity="TOTAL")
    db.get_item(TableName="t", Key={"pk": {"S": "p1"}, "sk": {"S": "s1"}}, ProjectionExpression="m.inner, b")
    db.query(TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p1"}},
             Limit=1, ReturnConsumedCapacity="INDEXES")
    db.query(TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p1"}},
             Select="COUNT")
    db.update_item(TableName="t", Key={"pk": {"S": "p1"}, "sk": {"S": "s1"}}, UpdateExpression="SET n = n + :one",
                   ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="ALL_NEW")
    db.update_item(TableName="t", Key={"pk": {"S": "p1"}, "sk": {"S": "s1"}}, UpdateExpression="REMOVE z",
                   ReturnValues="UPDATED_OLD")
    with pytest.raises(ClientError, match="ConditionalCheckFailed"):
        db.put_item(TableName="t", Item=ITEM, ConditionExpression="attribute_not_exists(pk)",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD")
    db.transact_write_items(TransactItems=[
        {"Put": {"TableName": "t", "Item": {"pk": {"S": "p2"}, "sk": {"S": "a"}}}},
        {"Update": {"TableName": "t", "Key": {"pk": {"S": "p1"}, "sk": {"S": "s2"}},
                    "UpdateExpression": "SET t = :f", "ExpressionAttributeValues": {":f": {"BOOL": False}}}}],
        ReturnConsumedCapacity="TOTAL", ReturnItemCollectionMetrics="SIZE")
    with pytest.raises(ClientError, match="TransactionCanceled"):
        db.transact_write_items(TransactItems=[{"Put": {"TableName": "t", "Item": ITEM,
                                                        "ConditionExpression": "attribute_not_exists(pk)"}}])
    db.batch_write_item(RequestItems={"t": [{"PutRequest": {"Item": {"pk": {"S": "p3"}, "sk": {"S": str(i)}}}}
                                            for i in range(3)]})
    found = db.batch_get_item(RequestItems={"t": {"Keys": [{"pk": {"S": "p1"}, "sk": {"S": "s1"}},
                                                          {"pk": {"S": "p3"}, "sk": {"S": "0"}}]}})
    assert len(found["Responses"]["t"]) == 2
    db.transact_get_items(TransactItems=[{"Get": {"TableName": "t", "Key": {"pk": {"S": "p2"}, "sk": {"S": "a"}}}}])
    db.scan(TableName="t", Limit=2)
    db.delete_item(TableName="t", Key={"pk": {"S": "p2"}, "sk": {"S": "a"}}, ReturnValues="ALL_OLD")
    db.describe_table(TableName="t")  # timestamps: left to moto

    for action, _, answer, theirs in calls:
        assert answer == theirs, action
        json.loads(answer[2])
    lean = {action for action, took_lean, *_ in calls if took_lean}
    assert {"PutItem", "GetItem", "Query", "UpdateItem", "TransactWriteItems", "BatchWriteItem", "BatchGetItem",
            "TransactGetItems", "Scan", "DeleteItem"} <= lean
    assert "DescribeTable" not in lean and "CreateTable" not in lean


def test_a_value_the_compiled_shape_does_not_expect_goes_to_moto():
    emulator_fixes.apply()
    _, _, encode = emulator_dynamodb_responses._operation("GetItem", "application/x-amz-json-1.0")
    assert encode({"Item": {"a": {"S": "x"}}}) == {"Item": {"a": {"S": "x"}}}
    assert encode({"Item": {}, "Unread": 1}) == {"Item": {}}  # moto reads only the members' names
    for odd in ({"Item": {"a": {"S": 5}}}, {"item": {}}, {"consumed_capacity": {}}, {"Item": {"a": None}},
                {"Item": {"a": {"L": [None]}}}, {"Item": {"a": {"s": "x"}}}):
        with pytest.raises(emulator_dynamodb_responses._Unsupported):
            encode(odd)
