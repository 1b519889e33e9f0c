"""The corrections to the pinned emulator keep what the tests rely on (transactions that roll back, conditional
writes) while dropping the costs that grew with everything a long-running local stack ever stored."""

import threading

import boto3
import moto
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from ccpa_audit.local import emulator_fixes


@pytest.fixture
def table():
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="t", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "g")],
            GlobalSecondaryIndexes=[{"IndexName": "ByG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                     "Projection": {"ProjectionType": "ALL"}}])
        yield client


def item(pk, sk="a", **extra):
    return {"pk": {"S": pk}, "sk": {"S": sk}, **{k: {"S": v} for k, v in extra.items()}}


def backend_table():
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends["123456789012"]["us-east-1"].tables["t"]


def test_a_cancelled_transaction_leaves_every_item_and_index_as_before_without_copying_the_table(table):
    table.put_item(TableName="t", Item=item("kept", g="old", v="1"))
    table.put_item(TableName="t", Item=item("guard", v="locked"))
    before = backend_table()

    with pytest.raises(ClientError, match="TransactionCanceled"):
        table.transact_write_items(TransactItems=[
            {"Put": {"TableName": "t", "Item": item("new", g="new")}},
            {"Update": {"TableName": "t", "Key": {"pk": {"S": "kept"}, "sk": {"S": "a"}},
                        "UpdateExpression": "SET v = :v, g = :g",
                        "ExpressionAttributeValues": {":v": {"S": "2"}, ":g": {"S": "changed"}}}},
            {"Delete": {"TableName": "t", "Key": {"pk": {"S": "guard"}, "sk": {"S": "a"}}}},
            {"ConditionCheck": {"TableName": "t", "Key": {"pk": {"S": "guard"}, "sk": {"S": "b"}},
                                "ConditionExpression": "attribute_exists(pk)"}},
        ])

    assert backend_table() is before  # moto's own rollback would have swapped in a deep copy of the whole table
    assert "Item" not in table.get_item(TableName="t", Key={"pk": {"S": "new"}, "sk": {"S": "a"}})
    kept = table.get_item(TableName="t", Key={"pk": {"S": "kept"}, "sk": {"S": "a"}})["Item"]
    assert kept["v"] == {"S": "1"} and kept["g"] == {"S": "old"}
    assert table.get_item(TableName="t", Key={"pk": {"S": "guard"}, "sk": {"S": "a"}})["Item"]["v"] == {"S": "locked"}
    by_g = table.query(TableName="t", IndexName="ByG", KeyConditionExpression="g = :g",
                       ExpressionAttributeValues={":g": {"S": "old"}})["Items"]
    assert [i["pk"]["S"] for i in by_g] == ["kept"]


def test_a_committed_transaction_applies_every_write(table):
    table.put_item(TableName="t", Item=item("kept", v="1"))
    table.transact_write_items(TransactItems=[
        {"Put": {"TableName": "t", "Item": item("new"), "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": {"TableName": "t", "Key": {"pk": {"S": "kept"}, "sk": {"S": "a"}},
                    "UpdateExpression": "SET v = :v", "ExpressionAttributeValues": {":v": {"S": "2"}}}},
    ])

    assert "Item" in table.get_item(TableName="t", Key={"pk": {"S": "new"}, "sk": {"S": "a"}})
    assert table.get_item(TableName="t", Key={"pk": {"S": "kept"}, "sk": {"S": "a"}})["Item"]["v"] == {"S": "2"}


def test_model_objects_are_not_kept_once_the_emulator_drops_them(table):
    from moto.dynamodb.models.dynamo_type import Item

    for n in range(50):
        table.put_item(TableName="t", Item=item(f"k{n}"))
    assert Item.instances_tracked == []


def test_concurrent_conditional_writes_on_one_key_let_exactly_one_through(table):
    outcomes = []

    def create(n):
        client = boto3.client("dynamodb", region_name="us-east-1")
        try:
            client.put_item(TableName="t", Item=item("race", writer=str(n)),
                            ConditionExpression="attribute_not_exists(pk)")
            outcomes.append("created")
        except ClientError:
            outcomes.append("refused")

    writers = [threading.Thread(target=create, args=(n,)) for n in range(16)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()

    assert outcomes.count("created") == 1 and outcomes.count("refused") == 15


def test_the_fixes_refuse_another_emulator_version(monkeypatch):
    monkeypatch.setattr(emulator_fixes, "_applied", False)
    monkeypatch.setattr(moto, "__version__", "9.9.9")
    with pytest.raises(emulator_fixes.EmulatorVersionError, match="5.2.5"):
        emulator_fixes.apply()


@pytest.fixture
def stream():
    with mock_aws():
        client = boto3.client("kinesis", region_name="us-east-1")
        client.create_stream(StreamName="s", ShardCount=1)
        yield client


def test_concurrent_kinesis_puts_keep_every_record_and_reads_return_them_in_order(stream):
    def put(worker):
        for batch in range(5):
            stream.put_records(StreamName="s", Records=[{"Data": f"{worker}-{batch}-{n}".encode(), "PartitionKey": "k"}
                                                        for n in range(20)])

    threads = [threading.Thread(target=put, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    shard = stream.list_shards(StreamName="s")["Shards"][0]["ShardId"]
    iterator = stream.get_shard_iterator(StreamName="s", ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    iterator, seen, numbers = iterator["ShardIterator"], [], []
    while True:
        page = stream.get_records(ShardIterator=iterator, Limit=150)
        seen += [record["Data"] for record in page["Records"]]
        numbers += [int(record["SequenceNumber"]) for record in page["Records"]]
        iterator = page["NextShardIterator"]
        if not page["Records"]:
            break
    assert len(seen) == len(set(seen)) == 400
    assert numbers == sorted(numbers) and len(set(numbers)) == 400
    after = stream.get_shard_iterator(StreamName="s", ShardId=shard, ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                                      StartingSequenceNumber=str(numbers[199]))["ShardIterator"]
    assert [int(r["SequenceNumber"]) for r in stream.get_records(ShardIterator=after, Limit=3)["Records"]] == \
        numbers[200:203]
