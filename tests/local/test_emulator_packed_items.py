"""Items at rest are packed, and every read and write sees moto's attributes exactly as before."""

import pickle
import threading
import zlib

import boto3
import pytest
from moto import mock_aws

from ccpa_audit.local.emulator_packed_items import _LIVE, _PACKED

KEY = {"pk": {"S": "a"}}


@pytest.fixture
def db():
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
        yield client


def stored():
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends["123456789012"]["us-east-1"].tables["t"].items


EVERY_TYPE = {"pk": {"S": "a"}, "s": {"S": "text"}, "n": {"N": "12.50"}, "b": {"B": b"\x00\xff"},
              "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2"]}, "bs": {"BS": [b"\x01"]}, "bool": {"BOOL": True},
              "null": {"NULL": True}, "l": {"L": [{"S": "a"}, {"M": {"k": {"N": "1"}}}]},
              "m": {"M": {"inner": {"L": [{"B": b"\x02"}]}, "flag": {"BOOL": False}}}}


def test_an_item_at_rest_is_one_bytes_object_and_reads_back_exactly(db):
    db.put_item(TableName="t", Item=EVERY_TYPE)
    item = stored()[next(iter(stored()))]

    assert isinstance(item.__dict__[_PACKED], bytes) and _LIVE not in item.__dict__
    read = db.get_item(TableName="t", Key=KEY)["Item"]
    read["ss"]["SS"].sort()
    read["ns"]["NS"].sort()
    assert read == EVERY_TYPE
    assert _LIVE not in item.__dict__  # a read does not leave the item unpacked


def test_updates_land_on_the_stored_item_and_it_is_packed_again(db):
    db.put_item(TableName="t", Item={"pk": {"S": "a"}, "count": {"N": "1"}, "m": {"M": {"x": {"S": "1"}}}})
    db.update_item(TableName="t", Key=KEY, UpdateExpression="SET #c = #c + :one, m.y = :y REMOVE m.x",
                   ExpressionAttributeNames={"#c": "count"},
                   ExpressionAttributeValues={":one": {"N": "1"}, ":y": {"S": "2"}})
    db.update_item(TableName="t", Key=KEY, UpdateExpression="ADD #c :one", ExpressionAttributeNames={"#c": "count"},
                   ExpressionAttributeValues={":one": {"N": "5"}})

    assert db.get_item(TableName="t", Key=KEY)["Item"] == {"pk": {"S": "a"}, "count": {"N": "7"},
                                                         "m": {"M": {"y": {"S": "2"}}}}
    item = stored()[next(iter(stored()))]
    assert _LIVE not in item.__dict__ and isinstance(item.__dict__[_PACKED], bytes)


def test_concurrent_increments_are_all_kept(db):
    db.put_item(TableName="t", Item={"pk": {"S": "a"}, "count": {"N": "0"}})

    def add():
        client = boto3.client("dynamodb", region_name="us-east-1")
        for _ in range(10):
            client.update_item(TableName="t", Key=KEY, UpdateExpression="ADD #c :one",
                               ExpressionAttributeNames={"#c": "count"}, ExpressionAttributeValues={":one": {"N": "1"}})
            client.get_item(TableName="t", Key=KEY)

    workers = [threading.Thread(target=add) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert db.get_item(TableName="t", Key=KEY)["Item"]["count"] == {"N": "80"}


def test_a_stored_item_is_compressed_below_its_pickle(db):
    import pickle

    index_item = {"pk": {"S": "REQ#5f0e6a52-8b1d-4d7e-9c55-3f7a2f0c1e11"}, **{
        f"field_{n}": {"S": f"event-{n:04d}-2026-11-30T08:00:00Z"} for n in range(20)}}
    db.put_item(TableName="t", Item=index_item)
    item = stored()[next(iter(stored()))]
    plain = pickle.dumps(list(item.attrs.items()), protocol=pickle.HIGHEST_PROTOCOL)

    assert len(item.__dict__[_PACKED]) < len(plain) / 2
    assert db.get_item(TableName="t", Key={"pk": index_item["pk"]})["Item"] == index_item


def test_items_packed_after_the_sample_use_the_learnt_dictionary_are_smaller_and_read_back_exactly(db):
    from ccpa_audit.local import emulator_packed_items

    def item(n):
        return {"pk": {"S": f"request#{n:05d}"}, "kind": {"S": "consumer_request"}, "status": {"S": "received"},
                "tag": {"S": f"{n * 7919:032x}"}, "due": {"N": str(1_700_000_000 + n)},
                "systems": {"L": [{"M": {"id": {"S": "demo-email"}, "state": {"S": "pending"}}}]}}

    count = emulator_packed_items.SAMPLE_ITEMS + 50  # whatever this process packed before, the dictionary is set
    for n in range(count):
        db.put_item(TableName="t", Item=item(n))
    items = {n: stored()[next(k for k in stored() if k.value == f"request#{n:05d}")] for n in (count - 1, count - 2)}
    packed = {n: stored_item.__dict__[_PACKED] for n, stored_item in items.items()}

    assert all(blob[1] & 0x20 for blob in packed.values())  # zlib's preset-dictionary flag
    for n in (0, count - 2, count - 1):
        assert db.get_item(TableName="t", Key={"pk": {"S": f"request#{n:05d}"}})["Item"] == item(n)
    plain = zlib.compress(pickle.dumps(list(items[count - 1].attrs.items()), protocol=pickle.HIGHEST_PROTOCOL), 1)
    assert len(packed[count - 1]) < 0.8 * len(plain)
