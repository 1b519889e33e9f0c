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
