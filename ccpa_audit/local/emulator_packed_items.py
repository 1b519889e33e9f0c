"""Packed DynamoDB items for moto 5.2.5: an item at rest is one pickled and compressed bytes object instead of a
dict of DynamoType objects, and is unpacked only while a call uses it. (Pickling took an index item to about a
third of its dict; compressing, fast zlib, halves that again: the attribute names and type tags repeat.) Items
repeat each other's names, tags and shapes more than their own, so once the first `SAMPLE_ITEMS` are packed, the
rest are compressed against a preset dictionary made of them (zlib's `zdict`): an index item of the local stack
packs to about 430 bytes instead of 720 (measured over the 7,800 items 150 intake requests left).

- A write (the DynamoDB handler's write actions, each already under the emulator's write lock) unpacks the
  items it touches onto the item itself, so moto's in-place updates land there, and packs them again when the
  action ends, still under the lock.
- A read unpacks into a cache private to its call, dropped when the call ends: a reader never sees half a write
  and never changes the stored item.
- Code outside a handler call (a test reading the backend) gets a fresh unpacked copy on each access.
The item's attributes are exactly moto's (pickle keeps every DynamoType, bytes and nested value as it was).
"""

import functools
import pickle
import threading
import zlib
from collections.abc import Callable
from typing import Any

SAMPLE_ITEMS = 64
_WINDOW = 32 * 1024  # zlib reads no further back than this, so a longer dictionary would go unused
_FDICT = 0x20  # the zlib header's flag for "compressed against a preset dictionary"
_LIVE = "_local_attrs"
_PACKED = "_local_packed"
_state = threading.local()  # .writing: items a write unpacked; .cache: id -> (item, attrs) for a read


def apply(write_actions: tuple[str, ...]) -> None:
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.responses import DynamoHandler

    Item.attrs = property(_attrs, _set_attrs)  # type: ignore[assignment, method-assign]
    DynamoHandler.call_action = _reading(DynamoHandler.call_action)  # type: ignore[method-assign]
    for name in write_actions:
        setattr(DynamoHandler, name, _writing(getattr(DynamoHandler, name)))


class _Compressor:
    """zlib, against a dictionary learnt from the first items once there are enough; the dictionary never changes
    afterwards, and the zlib header of each packed item says whether it needs it."""

    def __init__(self) -> None:
        self._sample: list[bytes] = []
        self._dictionary: bytes | None = None
        self._lock = threading.Lock()

    def compress(self, raw: bytes) -> bytes:
        dictionary = self._dictionary
        if dictionary is None:
            with self._lock:
                if len(self._sample) < SAMPLE_ITEMS:
                    self._sample.append(raw)
                else:
                    self._dictionary = b"".join(self._sample)[-_WINDOW:]
                    self._sample = []
            return zlib.compress(raw, 1)
        packer = zlib.compressobj(1, zdict=dictionary)
        return packer.compress(raw) + packer.flush()

    def decompress(self, packed: bytes) -> bytes:
        if not packed[1] & _FDICT:
            return zlib.decompress(packed)
        unpacker = zlib.decompressobj(zdict=self._dictionary or b"")
        return unpacker.decompress(packed) + unpacker.flush()


_compressor = _Compressor()


def _pack(attrs: dict[str, Any]) -> bytes:
    return _compressor.compress(pickle.dumps(list(attrs.items()), protocol=pickle.HIGHEST_PROTOCOL))


def _unpack(packed: bytes) -> Any:
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    attrs = LimitedSizeDict.__new__(LimitedSizeDict)
    dict.update(attrs, pickle.loads(_compressor.decompress(packed)))  # noqa: S301  bytes this process packed; skips the O(n) size check per key
    return attrs


def _attrs(item: Any) -> Any:
    fields = item.__dict__
    live = fields.get(_LIVE)
    if live is not None:
        return live
    packed = fields[_PACKED]
    writing = getattr(_state, "writing", None)
    if writing is not None:
        live = fields[_LIVE] = _unpack(packed)
        writing.append(item)
        return live
    cache = getattr(_state, "cache", None)
    if cache is None:
        return _unpack(packed)
    entry = cache.get(id(item))
    if entry is None:
        entry = cache[id(item)] = (item, _unpack(packed))  # the item is held so its id stays its own
    return entry[1]


def _set_attrs(item: Any, attrs: Any) -> None:
    item.__dict__[_LIVE] = attrs
    item.__dict__.pop(_PACKED, None)
    writing = getattr(_state, "writing", None)
    if writing is not None:
        writing.append(item)


def _pack_all(items: list[Any]) -> None:
    for item in {id(item): item for item in items}.values():
        live = item.__dict__.get(_LIVE)
        if live is not None:
            item.__dict__[_PACKED] = _pack(live)  # packed first: a concurrent reader always finds one of the two
            item.__dict__.pop(_LIVE, None)


def _reading(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def run(*args: Any, **kwargs: Any) -> Any:
        outer = getattr(_state, "cache", None)
        if outer is None:
            _state.cache = {}
        try:
            return method(*args, **kwargs)
        finally:
            if outer is None:
                _state.cache = None

    return run


def _writing(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def run(*args: Any, **kwargs: Any) -> Any:
        outer = getattr(_state, "writing", None)
        if outer is not None:
            return method(*args, **kwargs)
        _state.writing = []
        try:
            return method(*args, **kwargs)
        finally:
            items, _state.writing = _state.writing, None
            _pack_all(items)

    return run
