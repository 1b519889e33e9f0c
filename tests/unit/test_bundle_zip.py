"""Bundle zips: every member deflated, the bytes reproducible, and bundles zipped before (stored) still verify."""

import io
import zipfile

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from ccpa_audit.cli import main
from shared.ledger.bundle_format import read_bundle, to_zip
from tests.bundles import build_bundle, synthetic_envelopes


@pytest.fixture(scope="module")
def bundle():
    key = ec.generate_private_key(ec.SECP256R1())
    return build_bundle(synthetic_envelopes(requests=4, per_request=6), [10, 24], key)


def test_every_member_is_deflated_and_smaller_than_the_files_when_zipped(bundle):
    data = to_zip(bundle)

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
    assert {m.filename for m in members} == set(bundle.files)
    assert {m.compress_type for m in members} == {zipfile.ZIP_DEFLATED}
    events = next(m for m in members if m.filename == "events.jsonl")
    assert events.compress_size < events.file_size / 2
    assert len(data) < sum(len(content) for content in bundle.files.values())


def test_the_same_bundle_zips_to_the_same_bytes(bundle):
    assert to_zip(bundle) == to_zip(bundle)


def test_a_bundle_zipped_uncompressed_before_still_reads_and_verifies(bundle, tmp_path, capsys):
    stored = io.BytesIO()
    with zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as archive:
        for name in sorted(bundle.files):
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), bundle.files[name])
    old, new = tmp_path / "stored.zip", tmp_path / "deflated.zip"
    old.write_bytes(stored.getvalue())
    new.write_bytes(to_zip(bundle))

    assert read_bundle(old).files == read_bundle(new).files == bundle.files
    assert main(["verify", str(old)]) == 0
    assert main(["verify", str(new)]) == 0
    assert "FAIL" not in capsys.readouterr().out


def damaged(data: bytes, name: str, how: str) -> bytes:
    """The zip with one member's compressed bytes changed in place, or its tail cut off (its declared size kept)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(name)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    middle = start + info.compress_size // 2
    if how == "flipped":
        return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:]
    return data[:middle] + bytes(info.compress_size - (middle - start)) + data[start + info.compress_size:]


@pytest.mark.parametrize("how", ["flipped", "zeroed tail"])
@pytest.mark.parametrize("name", ["events.jsonl", "keys/ccpa-audit.test.pem"])
def test_a_damaged_member_is_a_failure_not_a_traceback(bundle, tmp_path, capsys, name, how):
    path = tmp_path / "b.zip"
    path.write_bytes(damaged(to_zip(bundle), name, how))
    assert main(["verify", str(path)]) == 1
    out = capsys.readouterr().out
    assert "Traceback" not in out and "OK" not in out


def test_streamed_members_read_as_zipfile_reads_them_deflated_or_stored(bundle, tmp_path):
    deflated = tmp_path / "deflated.zip"
    deflated.write_bytes(to_zip(bundle))
    stored = tmp_path / "stored.zip"
    with zipfile.ZipFile(stored, "w") as archive:
        for name in sorted(bundle.files):
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), bundle.files[name])
    for path in (deflated, stored):
        read = read_bundle(path)
        for name in bundle.files:
            with read.open(name) as stream:
                assert b"".join(iter(lambda: stream.read(100), b"")) == bundle.files[name]
            with read.open(name) as stream:
                assert stream.read() == bundle.files[name]
