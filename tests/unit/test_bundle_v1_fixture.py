"""A v1 bundle written by the v1 exporter (committed before v2 existed) still verifies, and tampering with it is
still caught: the v1 format is frozen (docs/ledger-v1.md), so every later verifier must keep reading it."""

import shutil
import zipfile
from pathlib import Path

from ccpa_audit.cli import main

FIXTURE = Path(__file__).parent.parent / "fixtures" / "bundle-v1.zip"


def test_the_committed_v1_bundle_verifies(capsys):
    assert main(["verify", str(FIXTURE)]) == 0
    out = capsys.readouterr().out
    assert "12 events in 3 request chains, 3 checkpoints, 2 consistency proofs" in out
    assert "OK" in out


def test_a_v1_bundle_missing_one_proof_file_fails(tmp_path, capsys):
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(FIXTURE) as source, zipfile.ZipFile(damaged, "w") as target:
        names = [n for n in source.namelist() if n.startswith("proofs/")]
        for name in source.namelist():
            if name != names[3]:
                target.writestr(source.getinfo(name), source.read(name))
    assert main(["verify", str(damaged)]) == 1
    out = capsys.readouterr().out
    assert f"FAIL {names[3]}: listed in the manifest but missing" in out
    assert "has no inclusion proof" in out


def test_a_v1_folder_verifies(tmp_path):
    with zipfile.ZipFile(FIXTURE) as source:
        source.extractall(tmp_path / "folder")
    shutil.rmtree(tmp_path / "folder" / "consistency")
    assert main(["verify", str(tmp_path / "folder")]) == 1
