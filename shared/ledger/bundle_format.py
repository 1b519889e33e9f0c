"""Evidence bundles: the files an offline verifier needs. Pure: no AWS, no network.

v1 (docs/ledger-v1.md, frozen), v2 (docs/bundle-v2.md) and v3 (docs/bundle-v3.md) share their layout except for
the proofs:
  manifest.json              format, origin, scope, event ids in leaf order, every other file with its SHA-256
  manifest.sig               {"key_name", "signature": base64 DER ECDSA P-256 over the manifest's exact bytes}
  events.jsonl               one canonical envelope per line, in leaf order
  proofs/<event_id>.json     v1: one file per event, against the latest checkpoint
  proofs.jsonl               v2: one line per sealed event in leaf order, against the checkpoint that sealed it
  proofs/inclusion.bin                 v3: the same proofs in binary, shared upper siblings written once (proof_file.py)
  checkpoints/<size>.note    signed notes (C2SP tlog-checkpoint)
  consistency/<m>-<n>.json   {"from", "to", "proof": [hex]}: v1 between consecutive checkpoints, v2/v3 from each
                             checkpoint to the latest
  keys/<key_name>.pem        public keys (SubjectPublicKeyInfo PEM)

A bundle read from disk is lazy: members are read when asked for, and the large ones can be streamed, so the
verifier's memory does not grow with the bundle.
"""

import base64
import hashlib
import io
import json
import zipfile
import zlib
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

FORMAT_V1 = "ccpa-audit/bundle/v1"
FORMAT_V2 = "ccpa-audit/bundle/v2"
FORMAT_V3 = "ccpa-audit/bundle/v3"
FORMATS = (FORMAT_V1, FORMAT_V2, FORMAT_V3)
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
EVENTS = "events.jsonl"
PROOFS = "proofs.jsonl"
PROOF_FILE = "proofs/inclusion.bin"  # bundle v3 (shared/ledger/proof_file.py)


class _LazyFiles(MutableMapping[str, bytes]):
    """A bundle's members by path, read from the zip or folder on access; edits stay in memory."""

    def __init__(self, names: list[str], read: Callable[[str], bytes], stream: Callable[[str], IO[bytes]]) -> None:
        self._names = dict.fromkeys(names)
        self._read, self._stream = read, stream
        self._edits: dict[str, bytes] = {}

    def __getitem__(self, name: str) -> bytes:
        if name in self._edits:
            return self._edits[name]
        if name not in self._names:
            raise KeyError(name)
        return self._read(name)

    def __setitem__(self, name: str, data: bytes) -> None:
        self._names[name] = None
        self._edits[name] = data

    def __delitem__(self, name: str) -> None:
        del self._names[name]
        self._edits.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._names))

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def stream(self, name: str) -> IO[bytes]:
        if name in self._edits or name not in self._names:
            return io.BytesIO(self[name])
        return self._stream(name)


@dataclass
class Bundle:
    """A bundle's files by relative path; the verifier reads only this, the exporter only writes it."""

    files: MutableMapping[str, bytes] = field(default_factory=dict)

    def json(self, path: str) -> Any:
        """KeyError when the file is absent; ValueError when it is not JSON (or nested too deeply to read)."""
        try:
            return json.loads(self.files[path])
        except RecursionError:
            raise ValueError(f"{path} is nested too deeply") from None

    def under(self, folder: str) -> dict[str, bytes]:
        return {path: self.files[path] for path in self.files if path.startswith(folder + "/")}

    def names_under(self, folder: str) -> list[str]:
        return [path for path in self.files if path.startswith(folder + "/")]

    def open(self, path: str) -> IO[bytes]:
        """The member as a binary stream, read as it is consumed (KeyError when absent)."""
        if isinstance(self.files, _LazyFiles):
            return self.files.stream(path)
        return io.BytesIO(self.files[path])


def read_bundle(path: Path) -> Bundle:
    if path.is_dir():
        names = [str(p.relative_to(path)).replace("\\", "/") for p in sorted(path.rglob("*")) if p.is_file()]
        return Bundle(_LazyFiles(names, lambda name: (path / name).read_bytes(),
                                 lambda name: (path / name).open("rb")))
    archive = zipfile.ZipFile(path)  # kept open for the bundle's lifetime: members are read on demand
    names = [name for name in archive.namelist() if not name.endswith("/")]
    return Bundle(_LazyFiles(names, archive.read, lambda name: _member_stream(archive, path, name)))


class _InflatedMember:
    """A deflated or stored zip member read straight from the archive file, without zipfile's CRC-32: a member is
    only streamed to be hashed against the signed manifest (SHA-256 says more than its CRC), and the verifier's
    large files are read this way at a lower cost. A member that ends early is BadZipFile, as with zipfile."""

    def __init__(self, handle: IO[bytes], size: int, deflated: bool) -> None:
        self._handle, self._left = handle, size
        self._inflater = zlib.decompressobj(-15) if deflated else None

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            return b"".join(iter(lambda: self.read(1 << 20), b""))
        inflater = self._inflater
        while True:
            if inflater is not None and inflater.unconsumed_tail:
                data = inflater.decompress(inflater.unconsumed_tail, size)
            else:
                raw = self._handle.read(min(size, self._left)) if self._left else b""
                self._left -= len(raw)
                if inflater is None:
                    if not raw and self._left:
                        raise zipfile.BadZipFile("a member ends early")
                    return raw
                if not raw:
                    if not inflater.eof:
                        raise zipfile.BadZipFile("a member ends early")
                    return b""
                data = inflater.decompress(raw, size)
            if data or inflater.eof:
                return data

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> "_InflatedMember":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _member_stream(archive: zipfile.ZipFile, path: Path, name: str) -> Any:
    info = archive.getinfo(name)
    if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED):
        return archive.open(name)  # encrypted or another method: zipfile's reader
    handle = path.open("rb")
    handle.seek(info.header_offset)
    header = handle.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        handle.close()
        raise zipfile.BadZipFile(f"{name}: bad local file header")
    handle.seek(int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30], "little"), 1)
    return _InflatedMember(handle, info.compress_size, info.compress_type == zipfile.ZIP_DEFLATED)


def to_zip(bundle: Bundle) -> bytes:
    """Deflated members with fixed timestamps, so the same bundle always zips to the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name in sorted(bundle.files):
            # A ZipInfo carries its own compress_type (ZIP_STORED unless set); the archive's default is not applied.
            member = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(member, bundle.files[name])
    return out.getvalue()


def write_folder(bundle: Bundle, folder: Path) -> None:
    for name in bundle.files:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(bundle.files[name])


def seal_manifest(bundle: Bundle, header: dict[str, Any], key_name: str,
                  sign: Callable[[bytes], bytes], format: str | None = None) -> None:  # noqa: A002
    """Add manifest.json (listing every file with its SHA-256) and its signature; call last. The format is v3
    when the proofs are in proofs/inclusion.bin, v2 when in proofs.jsonl, v1 when they are one file each, unless named."""
    format = format or (FORMAT_V3 if PROOF_FILE in bundle.files else  # noqa: A001
                        FORMAT_V2 if PROOFS in bundle.files else FORMAT_V1)
    files = []
    for name in sorted(bundle.files):
        if name not in (MANIFEST, SIGNATURE):
            data = bundle.files[name]
            files.append({"path": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)})
    manifest = json.dumps({"format": format, **header, "files": files}, sort_keys=True, indent=1).encode()

    bundle.files[MANIFEST] = manifest
    signature = {"key_name": key_name, "signature": base64.b64encode(sign(manifest)).decode()}
    bundle.files[SIGNATURE] = json.dumps(signature, sort_keys=True).encode()
