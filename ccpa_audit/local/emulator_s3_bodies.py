"""Small S3 object bodies as plain bytes for moto 5.2.5.

moto gives every object a `tempfile.SpooledTemporaryFile` (an object, a dict and a growing BytesIO, about 2 KB
above the body itself) even for the few hundred bytes of one of our evidence objects. A body up to moto's own
spool limit is kept here as one bytes object; a larger one still goes to moto's spooled file, which writes it to
disk past the limit as before. moto only ever rewinds, truncates, writes a whole value, reads and closes.
A body is kept compressed (fast zlib) when that makes it smaller: the evidence objects and the access-log files
are JSON and text, about half their size compressed, and a read inflates a private copy (microseconds).
"""

import tempfile
import types
import zlib
from typing import Any


COMPRESS_FROM = 128  # bytes; shorter bodies gain nothing


class _Body:
    __slots__ = ("_data", "_packed", "_pos", "_max", "_file")

    def __init__(self, max_size: int = 0, *args: Any, **kwargs: Any) -> None:
        self._data: bytes | None = b""
        self._packed = False  # _data holds the body compressed
        self._pos = 0
        self._max = max_size
        self._file: Any = None

    def _check(self) -> bytes:
        if self._data is None:
            raise ValueError("I/O operation on closed file.")  # as a closed file says; moto relies on it
        return self._data

    def _open(self) -> bytes:
        data = self._check()
        return zlib.decompress(data) if self._packed else data

    def _keep(self, data: bytes) -> None:
        packed = zlib.compress(data, 1) if len(data) >= COMPRESS_FROM else data
        self._packed = len(packed) < len(data)
        self._data = packed if self._packed else data

    def seek(self, offset: int, whence: int = 0) -> int:
        if self._file is not None:
            return int(self._file.seek(offset, whence))
        self._check()
        base = 0 if whence == 0 else self._pos if whence == 1 else len(self._open())  # inflated only for the end
        self._pos = max(0, offset + base)
        return self._pos

    def tell(self) -> int:
        return int(self._file.tell()) if self._file is not None else self._pos

    def read(self, size: int = -1) -> bytes:
        if self._file is not None:
            return bytes(self._file.read(size))
        data = self._open()
        end = len(data) if size is None or size < 0 else self._pos + size
        chunk, self._pos = data[self._pos : end], min(len(data), end)
        return chunk

    def write(self, value: bytes) -> int:
        if self._file is not None:
            return int(self._file.write(value))
        data = self._open()
        joined = data[: self._pos] + bytes(value) + data[self._pos + len(value) :]
        if self._max and len(joined) > self._max:  # past the spool limit: moto's own spooled file takes over
            self._file = tempfile.SpooledTemporaryFile(self._max)
            self._file.write(joined)
            self._file.seek(self._pos + len(value))
            self._data, self._packed = b"", False
            return len(value)
        self._keep(joined)
        self._pos += len(value)
        return len(value)

    def truncate(self, size: int | None = None) -> int:
        if self._file is not None:
            return int(self._file.truncate(size))
        size = self._pos if size is None else size
        self._keep(self._open()[:size])
        return size

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        self._data, self._packed = None, False


def apply() -> None:
    from moto.s3 import models

    names = [name for name in dir(tempfile) if not name.startswith("__")]
    shim = types.SimpleNamespace(**{name: getattr(tempfile, name) for name in names})
    shim.SpooledTemporaryFile = _Body
    models.tempfile = shim  # type: ignore[assignment]  only moto's S3 models see it
