"""Evidence bundle v1: the files an offline verifier needs (docs/ledger-v1.md). Pure: no AWS, no network.

A bundle is a folder or a zip of it:
  manifest.json              format, origin, scope, event ids in leaf order, every other file with its SHA-256
  manifest.sig               {"key_name", "signature": base64 DER ECDSA P-256 over the manifest's exact bytes}
  events.jsonl               one canonical envelope per line, in leaf order
  proofs/<event_id>.json     {"event_id", "leaf_index", "tree_size", "inclusion_path": [hex]}
  checkpoints/<size>.note    signed notes (C2SP tlog-checkpoint)
  consistency/<m>-<n>.json   {"from", "to", "proof": [hex]} between consecutive checkpoints
  keys/<key_name>.pem        public keys (SubjectPublicKeyInfo PEM)
"""

import base64
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT = "ccpa-audit/bundle/v1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"


@dataclass
class Bundle:
    """A bundle's files by relative path; the verifier reads only this, the exporter only writes it."""

    files: dict[str, bytes] = field(default_factory=dict)

    def json(self, path: str) -> Any:
        """KeyError when the file is absent; ValueError when it is not JSON (or nested too deeply to read)."""
        try:
            return json.loads(self.files[path])
        except RecursionError:
            raise ValueError(f"{path} is nested too deeply") from None

    def under(self, folder: str) -> dict[str, bytes]:
        return {path: data for path, data in self.files.items() if path.startswith(folder + "/")}


def read_bundle(path: Path) -> Bundle:
    if path.is_dir():
        return Bundle({str(p.relative_to(path)).replace("\\", "/"): p.read_bytes()
                       for p in sorted(path.rglob("*")) if p.is_file()})
    with zipfile.ZipFile(path) as archive:
        return Bundle({name: archive.read(name) for name in archive.namelist() if not name.endswith("/")})


def to_zip(bundle: Bundle) -> bytes:
    """Deflated members with fixed timestamps, so the same bundle always zips to the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(bundle.files):
            # A ZipInfo carries its own compress_type (ZIP_STORED unless set); the archive's default is not applied.
            member = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(member, bundle.files[name])
    return out.getvalue()


def write_folder(bundle: Bundle, folder: Path) -> None:
    for name, data in bundle.files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def seal_manifest(bundle: Bundle, header: dict[str, Any], key_name: str,
                  sign: Callable[[bytes], bytes]) -> None:
    """Add manifest.json (listing every file with its SHA-256) and its signature; call last."""
    files = [{"path": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
             for name, data in sorted(bundle.files.items()) if name not in (MANIFEST, SIGNATURE)]
    manifest = json.dumps({"format": FORMAT, **header, "files": files}, sort_keys=True, indent=1).encode()

    bundle.files[MANIFEST] = manifest
    signature = {"key_name": key_name, "signature": base64.b64encode(sign(manifest)).decode()}
    bundle.files[SIGNATURE] = json.dumps(signature, sort_keys=True).encode()
