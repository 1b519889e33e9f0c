"""Items are built with one size measurement: the same attributes as moto's own build, and exactly the items moto
refuses (past 405,000 bytes by its formula) are refused, with its error."""

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item

from ccpa_audit.local import emulator_fixes


def built(init, attrs):
    item = Item.__new__(Item)
    try:
        init(item, DynamoType({"S": "h"}), None, attrs)
    except ItemSizeTooLarge:
        return "refused"
    return list(item.attrs.items())


def attrs_of(total: int, parts: int):
    """An item of about `total` bytes, spread over attributes of every kind."""
    share = total // parts
    kinds = [lambda n: {"S": "x" * n}, lambda n: {"B": b"y" * n}, lambda n: {"SS": ["a" * (n // 2), "b" * (n // 2)]},
             lambda n: {"M": {"k": {"S": "z" * n}, "n": {"N": "12.5"}, "t": {"BOOL": True}}},
             lambda n: {"L": [{"S": "w" * n}, {"NULL": True}]}]
    return {f"attr{i}": kinds[i % len(kinds)](share) for i in range(parts)}


@pytest.mark.parametrize("total", [0, 1_000, 399_000, 404_800, 404_990, 405_000, 405_050, 406_000, 500_000])
def test_the_same_items_are_built_and_refused_as_by_moto(total):
    emulator_fixes.apply()
    for parts in (1, 7):
        attrs = attrs_of(total, parts) if total else {}
        assert built(Item.__init__, attrs) == built(Item.__init__.moto_init, attrs), (total, parts)


def test_the_limit_is_found_where_moto_finds_it():
    emulator_fixes.apply()
    refused = [n for n in range(404_960, 405_040, 5) if built(Item.__init__, {"a": {"S": "x" * n}}) == "refused"]
    expected = [n for n in range(404_960, 405_040, 5)
                if built(Item.__init__.moto_init, {"a": {"S": "x" * n}}) == "refused"]
    assert refused == expected and 0 < len(refused) < 16


def test_an_oversized_put_is_refused_through_the_api():
    emulator_fixes.apply()
    with mock_aws():
        db = boto3.client("dynamodb", region_name="us-east-1")
        db.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
        with pytest.raises(ClientError, match="Item size has exceeded the maximum allowed size"):
            db.put_item(TableName="t", Item={"pk": {"S": "p"}, **attrs_of(420_000, 4)})
        db.put_item(TableName="t", Item={"pk": {"S": "p"}, **attrs_of(300_000, 4)})
        assert db.get_item(TableName="t", Key={"pk": {"S": "p"}})["Item"]["attr3"]["M"]["n"] == {"N": "12.5"}
