"""ListObjectVersions copies only the keys it may answer with, and every page (versions, delete markers, common
prefixes, markers, truncation) is what moto 5.2.5's own listing of the whole bucket answers."""

import copy

import pytest
from moto.s3 import models

from tests.local.conftest import versioned_bucket

KEYS = ["a", "access/b1", "access/b2", "access/c/1", "access/c/2", "b", "evidence/x", "evidence/y", "z"]


@pytest.fixture
def s3(emulated_s3):
    client = emulated_s3
    versioned_bucket(client, "bkt")
    for round_ in range(2):
        for key in KEYS:
            client.put_object(Bucket="bkt", Key=key, Body=f"{key}-{round_}".encode())
    client.delete_object(Bucket="bkt", Key="access/b2")  # a delete marker on top
    return client


def pages(client, **params):
    found = []
    while True:
        page = client.list_object_versions(Bucket="bkt", **params)
        found.append(([(v["Key"], v["VersionId"], v["IsLatest"], v["Size"]) for v in page.get("Versions", [])],
                      [(m["Key"], m["VersionId"], m["IsLatest"]) for m in page.get("DeleteMarkers", [])],
                      [p["Prefix"] for p in page.get("CommonPrefixes", [])], page.get("NextKeyMarker"),
                      page.get("NextVersionIdMarker"), page["IsTruncated"]))
        if not page["IsTruncated"]:
            return found
        params = {**params, "KeyMarker": page["NextKeyMarker"]}
        if page.get("NextVersionIdMarker"):
            params["VersionIdMarker"] = page["NextVersionIdMarker"]


LISTINGS = [{}, {"Prefix": "access/"}, {"Prefix": "access/", "MaxKeys": 1}, {"Prefix": "access/", "MaxKeys": 3},
            {"MaxKeys": 2}, {"Prefix": "access/", "Delimiter": "/"}, {"Delimiter": "/", "MaxKeys": 1},
            {"Prefix": "access/", "KeyMarker": "a"}, {"Prefix": "evidence/", "KeyMarker": "access/c/2"},
            {"Prefix": "access/", "KeyMarker": "access/b1"}, {"Prefix": "nothing/"}, {"KeyMarker": "zz"}]


@pytest.mark.parametrize("params", LISTINGS)
def test_every_page_is_what_moto_answers_from_the_whole_bucket(s3, monkeypatch, params):
    ours = pages(s3, **params)
    with monkeypatch.context() as plain:
        plain.setattr(models, "copy", copy)
        plain.setattr(models.S3Backend, "list_object_versions", models.S3Backend.list_object_versions.__wrapped__)
        theirs = pages(s3, **params)
    assert ours == theirs


def test_a_version_marker_page_and_only_the_wanted_keys_are_copied(s3, monkeypatch):
    first = s3.list_object_versions(Bucket="bkt", Prefix="access/", MaxKeys=2)
    params = {"Prefix": "access/", "KeyMarker": first["NextKeyMarker"],
              "VersionIdMarker": first["NextVersionIdMarker"]}
    ours = pages(s3, **params)
    copied = []
    real = copy.deepcopy
    monkeypatch.setattr(copy, "deepcopy", lambda value, memo=None: (copied.append(value), real(value, memo))[1])
    pages(s3, Prefix="evidence/")
    assert {versions[0].name for versions in copied if type(versions) is list} == {"evidence/x", "evidence/y"}
    monkeypatch.undo()
    with monkeypatch.context() as plain:
        plain.setattr(models, "copy", copy)
        plain.setattr(models.S3Backend, "list_object_versions", models.S3Backend.list_object_versions.__wrapped__)
        assert ours == pages(s3, **params)
