"""The Query key maps answer exactly what moto 5.2.5's own Query answers (every page, in order), after every kind
of write, while handing moto only the partition a Query names."""

import random

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models.table import Table

S = "S"


@pytest.fixture
def db():
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="t", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": name, "AttributeType": kind}
                                  for name, kind in (("pk", S), ("sk", S), ("g", S), ("r", S), ("l", S), ("n", "N"))],
            GlobalSecondaryIndexes=[
                {"IndexName": "ByG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                                   {"AttributeName": "r", "KeyType": "RANGE"}],
                 "Projection": {"ProjectionType": "ALL"}},
                {"IndexName": "GOnly", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                 "Projection": {"ProjectionType": "KEYS_ONLY"}},
                {"IndexName": "ByN", "KeySchema": [{"AttributeName": "n", "KeyType": "HASH"}],
                 "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["v"]}}],
            LocalSecondaryIndexes=[{"IndexName": "ByL", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                      {"AttributeName": "l", "KeyType": "RANGE"}],
                                    "Projection": {"ProjectionType": "ALL"}}])
        yield client


def pages(db, **params):
    """Every page of a Query, paged with Limit and ExclusiveStartKey as a caller would."""
    found = []
    while True:
        response = db.query(TableName="t", **params)
        found.append((response.get("Items"), response.get("LastEvaluatedKey"), response["Count"]))
        if "LastEvaluatedKey" not in response:
            return found
        params = {**params, "ExclusiveStartKey": response["LastEvaluatedKey"]}


def both(db, monkeypatch, **params):
    """The same Query answered with the key maps and by moto's own Query over the whole table."""
    ours = pages(db, **params)
    with monkeypatch.context() as plain_moto:
        plain_moto.setattr(Table, "query", Table.query.__wrapped__)
        theirs = pages(db, **params)
    return ours, theirs


QUERIES = [
    {"IndexName": "ByG", "KeyConditionExpression": "g = :g", "ExpressionAttributeValues": {":g": {S: "g1"}}},
    {"IndexName": "ByG", "KeyConditionExpression": "g = :g AND begins_with(r, :r)",
     "ExpressionAttributeValues": {":g": {S: "g2"}, ":r": {S: "r1"}}, "ScanIndexForward": False, "Limit": 3},
    {"IndexName": "ByG", "KeyConditionExpression": "g = :g AND r BETWEEN :a AND :b", "Limit": 2,
     "ExpressionAttributeValues": {":g": {S: "g0"}, ":a": {S: "r1"}, ":b": {S: "r6"}}},
    {"IndexName": "ByG", "KeyConditionExpression": "g = :g", "FilterExpression": "v > :v", "Limit": 4,
     "ExpressionAttributeValues": {":g": {S: "g1"}, ":v": {S: "v4"}}},
    {"IndexName": "GOnly", "KeyConditionExpression": "g = :g", "ExpressionAttributeValues": {":g": {S: "g2"}},
     "Limit": 5},
    {"IndexName": "GOnly", "KeyConditionExpression": "g = :g", "ExpressionAttributeValues": {":g": {S: "none"}}},
    {"IndexName": "ByN", "KeyConditionExpression": "n = :n", "ExpressionAttributeValues": {":n": {"N": "1.0"}},
     "ScanIndexForward": False},
    {"IndexName": "ByL", "KeyConditionExpression": "pk = :p AND l >= :l", "ProjectionExpression": "pk, l, v",
     "ExpressionAttributeValues": {":p": {S: "p1"}, ":l": {S: "l3"}}, "Limit": 2},
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {S: "p2"}}, "Limit": 3},
    {"KeyConditionExpression": "pk = :p AND sk < :s", "ExpressionAttributeValues": {":p": {S: "p0"}, ":s": {S: "s5"}},
     "ScanIndexForward": False},
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {S: "missing"}}},
]


def random_item(rng):
    attrs = {"pk": {S: f"p{rng.randrange(4)}"}, "sk": {S: f"s{rng.randrange(9)}"}, "v": {S: f"v{rng.randrange(9)}"}}
    for name, values in (("g", 3), ("r", 8), ("l", 6), ("n", 3)):
        if rng.random() < 0.7:  # sparse: many items miss an index key
            attrs[name] = {"N": str(rng.randrange(values))} if name == "n" else {S: f"{name}{rng.randrange(values)}"}
    return attrs


def key(attrs):
    return {"pk": attrs["pk"], "sk": attrs["sk"]}


def random_write(db, rng):
    attrs = random_item(rng)
    choice = rng.randrange(6)
    if choice == 0:
        db.put_item(TableName="t", Item=attrs)
    elif choice == 1:  # moves the item between partitions, or out of a sparse index
        db.update_item(TableName="t", Key=key(attrs), UpdateExpression="SET g = :g, r = :r REMOVE l",
                       ExpressionAttributeValues={":g": {S: f"g{rng.randrange(3)}"}, ":r": {S: f"r{rng.randrange(8)}"}})
    elif choice == 2:
        db.update_item(TableName="t", Key=key(attrs), UpdateExpression="REMOVE g SET n = :n",
                       ExpressionAttributeValues={":n": {"N": f"{rng.randrange(3)}.0"}})
    elif choice == 3:
        db.delete_item(TableName="t", Key=key(attrs))
    elif choice == 4:
        db.batch_write_item(RequestItems={"t": [{"PutRequest": {"Item": random_item(rng)}},
                                                {"DeleteRequest": {"Key": key(random_item(rng))}}]})
    else:  # a transaction that is cancelled by its last condition must leave every index as it was
        other = random_item(rng)
        try:
            db.transact_write_items(TransactItems=[
                {"Put": {"TableName": "t", "Item": attrs}},
                {"Update": {"TableName": "t", "Key": key(other), "UpdateExpression": "SET g = :g",
                            "ExpressionAttributeValues": {":g": {S: "g1"}}}} if key(other) != key(attrs) else
                {"ConditionCheck": {"TableName": "t", "Key": {"pk": {S: "x"}, "sk": {S: "y"}},
                                    "ConditionExpression": "attribute_not_exists(pk)"}},
                {"ConditionCheck": {"TableName": "t", "Key": {"pk": {S: "never"}, "sk": {S: "there"}},
                                    "ConditionExpression": "attribute_exists(pk)"}}])
        except ClientError as error:
            assert error.response["Error"]["Code"] in ("TransactionCanceledException", "ValidationException")


@pytest.fixture(params=[2, 10_000], ids=["pages cut", "whole partitions"])
def paged_from(request, monkeypatch):
    """Partitions from this many members have their pages cut (the local stack's is emulator_query_index's)."""
    from ccpa_audit.local import emulator_query_index

    monkeypatch.setattr(emulator_query_index, "PAGED_FROM", request.param)
    return request.param


def test_every_query_answers_as_moto_does_through_puts_updates_deletes_batches_and_rollbacks(db, monkeypatch,
                                                                                             paged_from):
    rng = random.Random(12)
    for round_ in range(8):
        for _ in range(40):
            random_write(db, rng)
        for params in QUERIES:
            ours, theirs = both(db, monkeypatch, **params)
            assert ours == theirs, (round_, params)
    assert any(count for params in QUERIES for _, _, count in pages(db, **params))  # not a comparison of nothings
    from moto.dynamodb.models import dynamodb_backends

    table = dynamodb_backends["123456789012"]["us-east-1"].tables["t"]
    placed = table.__dict__["_local_key_maps"].placed
    assert placed and all(hash_key is table.items[hash_key][range_key].hash_key
                          and range_key is table.items[hash_key][range_key].range_key
                          for hash_key, range_key in placed)  # the maps keep no copies of the stored keys


@pytest.fixture
def listed(monkeypatch):
    """How many items moto's Query was handed, call by call."""
    counts = []
    original = Table.all_items

    def spy(self):
        items = original(self)
        counts.append(len(items))
        return items

    monkeypatch.setattr(Table, "all_items", spy)
    return counts


def test_a_query_hands_moto_only_the_partition_it_names(db, listed):
    for n in range(300):
        db.put_item(TableName="t", Item={"pk": {S: f"p{n}"}, "sk": {S: "a"}, "g": {S: f"g{n % 100}"},
                                         "r": {S: f"r{n}"}})
    found = db.query(TableName="t", IndexName="ByG", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": {S: "g7"}})["Items"]
    db.query(TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {S: "p7"}})

    assert sorted(i["pk"][S] for i in found) == ["p107", "p207", "p7"]
    assert listed == [3, 1]  # not the 300 items of the table


def test_an_item_moved_to_another_partition_is_found_only_there(db):
    db.put_item(TableName="t", Item={"pk": {S: "a"}, "sk": {S: "1"}, "g": {S: "old"}, "r": {S: "x"}})
    db.update_item(TableName="t", Key={"pk": {S: "a"}, "sk": {S: "1"}}, UpdateExpression="SET g = :g",
                   ExpressionAttributeValues={":g": {S: "new"}})

    def in_partition(value):
        return db.query(TableName="t", IndexName="ByG", KeyConditionExpression="g = :g",
                        ExpressionAttributeValues={":g": {S: value}})["Count"]

    assert (in_partition("old"), in_partition("new")) == (0, 1)
    db.delete_item(TableName="t", Key={"pk": {S: "a"}, "sk": {S: "1"}})
    assert in_partition("new") == 0


def test_a_partiql_write_is_seen_by_the_next_query(db):
    db.query(TableName="t", IndexName="GOnly", KeyConditionExpression="g = :g",
             ExpressionAttributeValues={":g": {S: "q"}})  # builds the maps
    db.execute_statement(Statement="INSERT INTO t VALUE {'pk': 'a', 'sk': 'b', 'g': 'q'}")

    assert db.query(TableName="t", IndexName="GOnly", KeyConditionExpression="g = :g",
                    ExpressionAttributeValues={":g": {S: "q"}})["Count"] == 1


def test_a_partition_grows_from_one_item_to_several_and_back_and_every_query_finds_its_members(db):
    from moto.dynamodb.models import dynamodb_backends

    def query(value):
        return sorted(i["sk"][S] for i in db.query(TableName="t", IndexName="GOnly", KeyConditionExpression="g = :g",
                                                   ExpressionAttributeValues={":g": {S: value}})["Items"])

    db.put_item(TableName="t", Item={"pk": {S: "a"}, "sk": {S: "1"}, "g": {S: "shared"}, "r": {S: "x"}})
    assert query("shared") == ["1"]
    maps = dynamodb_backends["123456789012"]["us-east-1"].tables["t"].__dict__["_local_key_maps"]
    assert not isinstance(maps.partitions["GOnly"][(("S", "shared"),)], dict)  # a lone member: no dict of its own

    db.put_item(TableName="t", Item={"pk": {S: "b"}, "sk": {S: "2"}, "g": {S: "shared"}, "r": {S: "y"}})
    db.put_item(TableName="t", Item={"pk": {S: "a"}, "sk": {S: "1"}, "g": {S: "shared"}, "r": {S: "z"}})  # again
    assert query("shared") == ["1", "2"]
    db.delete_item(TableName="t", Key={"pk": {S: "b"}, "sk": {S: "2"}})
    assert query("shared") == ["1"]
    db.update_item(TableName="t", Key={"pk": {S: "a"}, "sk": {S: "1"}}, UpdateExpression="SET g = :g",
                   ExpressionAttributeValues={":g": {S: "other"}})
    assert query("shared") == [] and query("other") == ["1"]
    assert (("S", "shared"),) not in maps.partitions["GOnly"]


def big_item(rng, n):
    """Items of 10-60 KB sharing a few GSI partitions, with repeated sort keys: 1 MB pages, ties broken by keys."""
    return {"pk": {S: f"p{rng.randrange(40)}"}, "sk": {S: f"s{n}"}, "g": {S: f"g{rng.randrange(2)}"},
            "r": {S: f"r{rng.randrange(12):02d}"}, "v": {S: "x" * rng.randrange(10_000, 60_000)}}


PAGE_QUERIES = [
    {"IndexName": "ByG", "KeyConditionExpression": "g = :g", "ExpressionAttributeValues": {":g": {S: "g0"}}},
    {"IndexName": "ByG", "KeyConditionExpression": "g = :g", "ExpressionAttributeValues": {":g": {S: "g1"}},
     "Select": "COUNT"},
    {"IndexName": "ByG", "KeyConditionExpression": "g = :g AND r > :r", "Select": "COUNT",
     "ExpressionAttributeValues": {":g": {S: "g0"}, ":r": {S: "r04"}}},
    {"IndexName": "ByG", "KeyConditionExpression": "g = :g AND r <= :r", "Limit": 7,
     "ExpressionAttributeValues": {":g": {S: "g1"}, ":r": {S: "r08"}}, "ProjectionExpression": "pk, sk, r"},
    {"IndexName": "ByG", "KeyConditionExpression": "g = :g AND r BETWEEN :a AND :b", "ScanIndexForward": False,
     "ExpressionAttributeValues": {":g": {S: "g0"}, ":a": {S: "r02"}, ":b": {S: "r09"}}},
    {"IndexName": "ByG", "KeyConditionExpression": "g = :g AND begins_with(r, :r)", "Limit": 3,
     "ExpressionAttributeValues": {":g": {S: "g1"}, ":r": {S: "r1"}}, "ScanIndexForward": False},
    {"IndexName": "ByG", "KeyConditionExpression": "g = :g", "FilterExpression": "r < :r", "Limit": 5,
     "ExpressionAttributeValues": {":g": {S: "g0"}, ":r": {S: "r06"}}},
    {"IndexName": "ByL", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {S: "p3"}}},
]


def test_pages_of_large_partitions_cut_by_limit_and_by_size_answer_as_moto_does(db, monkeypatch, paged_from):
    rng = random.Random(7)
    for n in range(120):
        db.put_item(TableName="t", Item=big_item(rng, n))
    for round_ in range(3):
        for params in PAGE_QUERIES:
            ours, theirs = both(db, monkeypatch, **params)
            assert ours == theirs, (round_, params)
        for n in range(20):  # items move between partitions, change size and leave
            item = big_item(rng, rng.randrange(140))
            db.put_item(TableName="t", Item=item) if n % 4 else db.delete_item(TableName="t", Key=key(item))
    counted = pages(db, **PAGE_QUERIES[1])
    assert len(counted) > 1 and sum(count for _, _, count in counted) > 40  # 1 MB pages: the size cut was tested


def test_a_page_hands_moto_only_the_items_it_can_reach(db, listed):
    for n in range(300):
        db.put_item(TableName="t", Item={"pk": {S: f"p{n}"}, "sk": {S: "a"}, "g": {S: "one"}, "r": {S: f"r{n:03d}"}})
    found = pages(db, IndexName="ByG", KeyConditionExpression="g = :g AND r > :r", Limit=25,
                  ExpressionAttributeValues={":g": {S: "one"}, ":r": {S: "r099"}})

    assert [item["r"][S] for items, _, _ in found for item in items or []] == [f"r{n:03d}" for n in range(100, 300)]
    assert max(listed) <= 26 and len(listed) == len(found)  # a page of 25 and the one after: not the partition, nor
    # the 100 items the sort-key condition refuses
