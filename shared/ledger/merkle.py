"""Merkle log (RFC 6962 / RFC 9162 section 2.1) over ledger events, and its C2SP tlog-tiles layout.

Every sealed event becomes one leaf; the tree root goes into a signed checkpoint (see checkpoint.py). An
auditor holding a checkpoint can then check, in O(log n) hashes, that an event is in the log (inclusion) and
that a later checkpoint extends an earlier one without rewriting it (consistency).

Proofs are built through a `hash_at(level, index)` callable that returns the hash of the complete subtree
of 2**level leaves starting at leaf index * 2**level. That is exactly what the tiles a sealer stores hold,
so the same code builds proofs from an in-memory list (`hash_at_from_leaves`) or from stored tiles
(`hash_at_from_tiles`). Pure code: hashlib only, no I/O.
"""

import hashlib
from collections.abc import Callable, Sequence
from itertools import repeat
from operator import add
from typing import NamedTuple

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
LEAF_LABEL = b"ccpa-audit-leaf-v1"
BATCH_LEAF_LABEL = b"ccpa-audit-leaf-batch-v1"  # an access event inside a batch object
TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_TILE_LEVEL = 63

HashAt = Callable[[int, int], bytes]

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
# Copying a hasher already fed its one-byte prefix is cheaper than building a new one (OpenSSL's constructor
# dominates hashing 65 bytes), and spares the concatenation of the prefix.
_LEAF_HASHER = hashlib.sha256(_LEAF_PREFIX)
_NODE_HASHER = hashlib.sha256(_NODE_PREFIX)
# An event's leaf without a batch version: copy, feed tag_bytes(consumer tag) and the event digest, digest() is
# leaf_hash(leaf_data_of_digest(digest, tag)) without building the leaf data (the verifier does it per event).
EVENT_LEAF_HASHER = hashlib.sha256(_LEAF_PREFIX + LEAF_LABEL)
_ZERO_TAG = bytes(HASH_SIZE)
_TAGS: dict[str, bytes] = {}  # consumer tag hex -> bytes: a sealer or verifier meets the same few tags again
_TAGS_KEPT = 4096


# --- hashing ---------------------------------------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the 0x00 prefix keeps a leaf from ever colliding with an interior node."""
    hasher = _LEAF_HASHER.copy()
    hasher.update(data)
    return hasher.digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right), the RFC 6962 interior node."""
    hasher = _NODE_HASHER.copy()
    hasher.update(left)
    hasher.update(right)
    return hasher.digest()


def _parents(below: Sequence[bytes]) -> list[bytes]:
    """node_hash of each pair (below[0], below[1]), (below[2], below[3]) ...; an odd last node is left out."""
    out: list[bytes] = []
    append, copy = out.append, _NODE_HASHER.copy
    for left, right in zip(below[0::2], below[1::2]):
        hasher = copy()
        hasher.update(left)
        hasher.update(right)
        append(hasher.digest())
    return out


def _hex32(value: str, name: str) -> bytes:
    # 64 characters that fromhex turns into 32 bytes are hex without spaces; then only uppercase remains to refuse.
    if isinstance(value, str) and len(value) == 64:
        try:
            data = bytes.fromhex(value)
        except ValueError:
            data = b""
        # 32 bytes from 64 characters: only hex digits, so "no uppercase" is lower() == value (islower() is slow).
        if len(data) == HASH_SIZE and value.lower() == value:
            return data
    raise ValueError(f"{name} must be 64 lowercase hex characters")


def leaf_data(event_hash_hex: str, consumer_tag_hex: str | None, batch_version: str | None = None) -> bytes:
    """The bytes a ledger event contributes as a leaf: LEAF_LABEL || consumer tag || event hash, or for an event
    stored in an access-event batch object (`batch_version` given) BATCH_LEAF_LABEL || consumer tag ||
    SHA-256(batch object version id, UTF-8) || event hash, which also binds the one stored version of the object
    that holds the event (docs/ledger-v1.md, "Batched access events"). Every leaf is hashed here.

    The label versions the leaf format, so a future layout cannot be confused with this one. The consumer tag
    (the HMAC tag already in the index, never a raw identifier; 32 zero bytes for events without a consumer)
    lets an auditor select a consumer's leaves without opening events. The event hash comes last so that a
    leaf always ends with the 32 bytes that identify the evidence object.
    """
    digest = _hex32(event_hash_hex, "event_hash_hex")
    if batch_version is None:  # every ledger event but batched access events: spare a call per leaf
        return LEAF_LABEL + tag_bytes(consumer_tag_hex) + digest
    return leaf_data_of_digest(digest, consumer_tag_hex, batch_version)


def leaf_data_of_digest(event_digest: bytes, consumer_tag_hex: str | None, batch_version: str | None = None) -> bytes:
    """leaf_data for an event hash already in bytes (the verifier hashes each line itself)."""
    tag = tag_bytes(consumer_tag_hex)
    if batch_version is None:
        return LEAF_LABEL + tag + event_digest
    if not isinstance(batch_version, str) or not batch_version:
        raise ValueError("batch_version must be a non-empty version id")
    return BATCH_LEAF_LABEL + tag + hashlib.sha256(batch_version.encode("utf-8")).digest() + event_digest


def tag_bytes(consumer_tag_hex: str | None) -> bytes:
    """A leaf's consumer tag field: 32 zero bytes for None, else the 64 lowercase hex digits' bytes (ValueError)."""
    if consumer_tag_hex is None:
        return _ZERO_TAG
    tag = _TAGS.get(consumer_tag_hex) if type(consumer_tag_hex) is str else None
    if tag is None:
        tag = _hex32(consumer_tag_hex, "consumer_tag_hex")
        if len(_TAGS) >= _TAGS_KEPT:
            _TAGS.clear()
        _TAGS[consumer_tag_hex] = tag
    return tag


def _check_hash(value: bytes, name: str) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        raise ValueError(f"{name} must be {HASH_SIZE} bytes")


def _check_hashes(hashes: Sequence[bytes]) -> None:
    """_check_hash on every item: the whole list in C first, item by item only to name a bad one."""
    if set(map(type, hashes)) <= {bytes, bytearray} and set(map(len, hashes)) <= {HASH_SIZE}:
        return
    for i, h in enumerate(hashes):
        _check_hash(h, f"leaf_hashes[{i}]")


def _split(n: int) -> int:
    """The largest power of two strictly smaller than n (n >= 2): where RFC 6962 splits a tree of n leaves."""
    return 1 << ((n - 1).bit_length() - 1)


def _mth(hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    if hi - lo == 1:
        return hashes[lo]
    k = _split(hi - lo)
    return node_hash(_mth(hashes, lo, lo + k), _mth(hashes, lo + k, hi))


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over already-hashed leaves, written as the RFC's recursion (O(n) hashes, O(log n) depth).

    Kept independent of the hash_at machinery so it can serve as the reference the proof code is tested against.
    """
    _check_hashes(leaf_hashes)
    if not leaf_hashes:
        return EMPTY_ROOT
    return _mth(leaf_hashes, 0, len(leaf_hashes))


# --- subtree access -------------------------------------------------------------------------------------


def _complete_layers(leaf_hashes: Sequence[bytes]) -> list[list[bytes]]:
    """layers[j][i] is the hash of the complete subtree of 2**j leaves starting at leaf i * 2**j."""
    layers = [list(leaf_hashes)]
    while len(layers[-1]) > 1:
        layers.append(_parents(layers[-1]))
    return layers


class _LayersHashAt:
    """hash_at over precomputed layers; `run` hands out consecutive hashes of a level as a slice, which spares
    tile_data and inclusion_paths a call per node."""

    def __init__(self, layers: list[list[bytes]], size: int) -> None:
        self.layers, self.size = layers, size

    def __call__(self, level: int, index: int) -> bytes:
        layers = self.layers
        if level < 0 or index < 0 or level >= len(layers) or index >= len(layers[level]):
            raise ValueError(f"no complete subtree at level {level} index {index} in {self.size} leaves")
        return layers[level][index]

    def run(self, level: int, first: int, count: int) -> list[bytes]:
        """[hash_at(level, first + i) for i in range(count)]."""
        if count and (level >= len(self.layers) or first + count > len(self.layers[level])):
            self(level, first + count - 1)  # raises the error hash_at gives for the node that is missing
        return self.layers[level][first:first + count]


def hash_at_from_leaves(leaf_hashes: Sequence[bytes]) -> HashAt:
    """A hash_at over an in-memory list; precomputes every complete subtree once (about n node hashes)."""
    _check_hashes(leaf_hashes)
    return _LayersHashAt(_complete_layers(leaf_hashes), len(leaf_hashes))


def _run(hash_at: HashAt, level: int, first: int, count: int) -> list[bytes]:
    """count consecutive hashes of one level, as a slice when hash_at holds them in layers."""
    if level >= 0 and first >= 0 and isinstance(hash_at, _LayersHashAt):
        return hash_at.run(level, first, count)
    return list(map(hash_at, repeat(level, count), range(first, first + count)))


def _range_root(start: int, end: int, hash_at: HashAt) -> bytes:
    """MTH(D[start:end]) where start is a multiple of a power of two >= end - start.

    Every range a proof needs has that shape: either a complete subtree (one hash_at call) or the partial
    right edge of the tree. The edge is the complete subtrees given by the binary digits of its length,
    largest first, folded from the right; so it costs popcount(end - start) hash_at calls.
    """
    parts: list[bytes] = []
    pos, remaining = start, end - start
    while remaining:
        level = remaining.bit_length() - 1
        parts.append(hash_at(level, pos >> level))
        pos += 1 << level
        remaining -= 1 << level
    acc = parts[-1]
    for part in reversed(parts[:-1]):
        acc = node_hash(part, acc)
    return acc


def edge_nodes(size: int) -> list[tuple[int, int]]:
    """(level, index) of the complete subtrees that make up the first `size` leaves, largest first (one per binary
    digit of size): the nodes root_at reads, and every partial right edge a proof in this tree needs is made of
    them."""
    nodes: list[tuple[int, int]] = []
    pos = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            nodes.append((level, pos >> level))
            pos += 1 << level
    return nodes


def root_at(size: int, hash_at: HashAt) -> bytes:
    """The root of the first `size` leaves from stored subtrees: popcount(size) hash_at calls."""
    if size < 0:
        raise ValueError("size must be >= 0")
    return EMPTY_ROOT if size == 0 else _range_root(0, size, hash_at)


# --- proofs ---------------------------------------------------------------------------------------------


def inclusion_proof(index: int, size: int, hash_at: HashAt) -> list[bytes]:
    """PATH(index, D[size]) of RFC 6962 section 2.1.1, deepest sibling first.

    Walking down from the root, each step records the sibling subtree. Left siblings are always complete
    (one hash_at call). A right sibling is partial only while the walk is still on the tree's right edge, and
    after turning left the walk never meets the edge again, so at most one sibling is a partial edge. Cost:
    at most ceil(log2 size) hash_at calls for complete siblings plus popcount of the one partial edge, i.e.
    O(log size) calls and O(log size) node hashes.
    """
    if not 0 <= index < size:
        raise ValueError(f"index {index} is outside a tree of size {size}")
    path: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            path.append(_range_root(lo + k, hi, hash_at))
            hi = lo + k
        else:
            path.append(_range_root(lo, lo + k, hash_at))
            lo += k
    path.reverse()
    return path


def inclusion_paths(start: int, end: int, hash_at: HashAt, leaves: Sequence[bytes] | None = None) -> list[bytes]:
    """PATH(i, D[end]) for every leaf i in [start, end), each as its sibling hashes concatenated (deepest first):
    what the sealer records for the leaves it has just appended, against the checkpoint it is about to sign.

    In RFC 6962's tree a level's last node, when it has no sibling, is carried up unchanged; so leaf i's sibling
    at level j is node (j, (i >> j) ^ 1) when that node exists. Neighbouring leaves share every sibling above the
    level where their paths meet, so paths are assembled top-down from shared suffixes, a level at a time: about
    2 * (end - start) hash_at calls and concatenations, plus one partial right-edge node per level. `leaves`, the
    leaf hashes of [start, end) when the caller has them, spare the hash_at calls of the widest level.
    """
    if not 0 <= start <= end:
        raise ValueError(f"need 0 <= start <= end, got {start}, {end}")
    if start == end:
        return []
    suffixes = [b""]  # the paths from the root upward: empty
    for level in range((end - 1).bit_length() - 1, -1, -1):
        low, high = start >> level, (end - 1) >> level
        first = low & ~1  # from the left sibling of the first node, so the level splits into sibling pairs
        complete = min(high, (end >> level) - 1)
        if level == 0 and leaves is not None:
            nodes = ([hash_at(0, first)] if first < start else []) + list(leaves)
        else:
            nodes = _run(hash_at, level, first, complete - first + 1)
        if complete < high:  # the one partial node of this level: the tree's right edge
            nodes.append(_range_root(high << level, end, hash_at))
        if len(nodes) % 2:
            nodes.append(b"")  # the last node has no sibling: it is carried up and adds nothing to the path
        # Pair p's nodes share the suffix of their parent (suffixes[p - first // 2]); each takes the other's hash.
        paths: list[bytes] = [b""] * len(nodes)
        paths[0::2] = map(add, nodes[1::2], suffixes)  # an extended slice must receive exactly its length
        paths[1::2] = map(add, nodes[0::2], suffixes)
        suffixes = paths[low - first:high - first + 1]
    return suffixes


def consistency_proof(m: int, n: int, hash_at: HashAt) -> list[bytes]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of RFC 6962 section 2.1.2.

    Empty when m == n or m == 0, which RFC 6962 leaves undefined: nothing needs proving, since every tree
    extends itself and the empty tree. As for inclusion, only one recorded subtree can be a partial right edge, so the cost is
    O(log n) hash_at calls.
    """
    if not 0 <= m <= n:
        raise ValueError(f"need 0 <= m <= n, got m={m} n={n}")
    if m in (0, n):
        return []
    proof: list[bytes] = []
    lo, hi, rel, whole = 0, n, m, True
    while rel != hi - lo:
        k = _split(hi - lo)
        if rel <= k:
            proof.append(_range_root(lo + k, hi, hash_at))
            hi = lo + k
        else:
            proof.append(_range_root(lo, lo + k, hash_at))
            lo += k
            rel -= k
            whole = False
    if not whole:
        proof.append(_range_root(lo, hi, hash_at))
    proof.reverse()
    return proof


def inclusion_proof_for_leaves(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """inclusion_proof in the tree of all given leaves (O(n) to index them, then O(log n))."""
    return inclusion_proof(index, len(leaf_hashes), hash_at_from_leaves(leaf_hashes))


def consistency_proof_for_leaves(m: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """consistency_proof from the first m leaves to all given leaves."""
    return consistency_proof(m, len(leaf_hashes), hash_at_from_leaves(leaf_hashes))


# --- verification (RFC 9162 sections 2.1.3.2 and 2.1.4.2) ------------------------------------------------


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes | bytearray) and len(value) == HASH_SIZE


def _all_hashes(proof: Sequence[bytes]) -> bool:
    return all(_is_hash(p) for p in proof)


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """True when `proof` shows `leaf_hash` at `index` in the tree of `size` leaves with root `root`.

    The RFC 9162 section 2.1.3.2 walk: it recomputes only the leaf-to-root path, and its final `sn == 0` check
    rejects proofs that are too short, while the `sn == 0` check inside the loop rejects proofs that are too
    long. Malformed input (non-32-byte hashes, index outside the tree) is a failed proof, never an exception.
    Trees of neighbouring sizes can share a path shape, so the size is bound only through `root`: take size
    and root from the same signed checkpoint.
    """
    if not (_is_hash(leaf_hash) and _is_hash(root) and _all_hashes(proof)):
        return False
    if index < 0 or index >= size:
        return False
    fn, sn = index, size - 1
    r = bytes(leaf_hash)
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(m: int, n: int, root_m: bytes, root_n: bytes, proof: Sequence[bytes]) -> bool:
    """True when `proof` shows the tree of size n (root_n) extends the tree of size m (root_m).

    Follows RFC 9162 section 2.1.4.2 for 0 < m < n. The cases the RFC leaves out are decided so that nothing
    unproven passes: m == n needs an empty proof and equal roots; m == 0 needs an empty proof and root_m equal
    to the empty-tree hash (a caller holding any other "empty" root has the wrong root); m > n never holds.
    """
    if not (_is_hash(root_m) and _is_hash(root_n) and _all_hashes(proof)):
        return False
    if m < 0 or m > n:
        return False
    if m == 0:
        return not proof and root_m == EMPTY_ROOT
    if m == n:
        return not proof and root_m == root_n
    if not proof:
        return False
    path = list(proof)
    if m & (m - 1) == 0:
        path.insert(0, bytes(root_m))
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = bytes(path[0])
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == root_m and sr == root_n


# --- tiles (C2SP tlog-tiles) ----------------------------------------------------------------------------


class Tile(NamedTuple):
    """One tile: `width` consecutive hashes at tile level `level` (tree level 8 * level), tile number `index`."""

    level: int
    index: int
    width: int = TILE_WIDTH

    @property
    def path(self) -> str:
        return tile_path(self.level, self.index, self.width)

    @property
    def is_partial(self) -> bool:
        return self.width < TILE_WIDTH


def _encode_tile_index(index: int) -> str:
    """Zero-padded 3-digit path elements, all but the last prefixed with x (1234067 -> x001/x234/067).

    The x keeps a directory name (x234) from ever equalling a file name (234), so tiles can be stored as files.
    """
    groups = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        groups.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(groups))


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    """The tlog-tiles resource path `tile/<L>/<N>[.p/<W>]`; `.p/<W>` marks a partial tile of W < 256 hashes."""
    if not 0 <= level <= MAX_TILE_LEVEL:
        raise ValueError(f"tile level must be 0..{MAX_TILE_LEVEL}, got {level}")
    if index < 0:
        raise ValueError(f"tile index must be >= 0, got {index}")
    if not 1 <= width <= TILE_WIDTH:
        raise ValueError(f"tile width must be 1..{TILE_WIDTH}, got {width}")
    path = f"tile/{level}/{_encode_tile_index(index)}"
    return path if width == TILE_WIDTH else f"{path}.p/{width}"


def _level_entries(size: int, level: int) -> int:
    """How many complete 256**level-leaf subtrees (hashes at tile level `level`) a tree of `size` has."""
    return size >> (TILE_HEIGHT * level)


def tiles_for_size(size: int) -> list[Tile]:
    """Every tile a tree of `size` leaves is served as: all full tiles, then the partial one, level by level.

    Per the spec, level l has floor(size / 256**l) hashes; a level with none has no tiles. Example: size 70,000
    gives 273 full + one 112-wide tile at level 0, one full + one 17-wide at level 1, one 1-wide at level 2.
    """
    return tiles_between(0, size)


def tiles_between(old_size: int, new_size: int) -> list[Tile]:
    """The tiles that exist at `new_size` but not at `old_size`: what a sealer must write when the log grows.

    Full tiles are immutable, so only full tiles completed since old_size and the new partial tiles (when their
    width changed) are listed.
    """
    if not 0 <= old_size <= new_size:
        raise ValueError(f"need 0 <= old_size <= new_size, got {old_size}, {new_size}")
    tiles: list[Tile] = []
    level = 0
    while _level_entries(new_size, level) and level <= MAX_TILE_LEVEL:
        old_entries, new_entries = _level_entries(old_size, level), _level_entries(new_size, level)
        old_full, new_full = old_entries // TILE_WIDTH, new_entries // TILE_WIDTH
        tiles.extend(Tile(level, i) for i in range(old_full, new_full))
        width = new_entries % TILE_WIDTH
        if width and (new_full, width) != (old_full, old_entries % TILE_WIDTH):
            tiles.append(Tile(level, new_full, width))
        level += 1
    return tiles


def tile_data(tile: Tile, hash_at: HashAt) -> bytes:
    """A tile's bytes: its `width` hashes concatenated, hash i being MTH of leaves
    [(index*256 + i) * 256**level, (index*256 + i + 1) * 256**level), i.e. hash_at(8 * level, index*256 + i)."""
    return b"".join(_run(hash_at, TILE_HEIGHT * tile.level, tile.index * TILE_WIDTH, tile.width))


def tile_contents(leaf_hashes: Sequence[bytes]) -> dict[Tile, bytes]:
    """Every tile of the tree over all given leaves with its bytes, so a sealer can write them out.

    O(n) node hashes in total; memory holds every complete subtree hash (about 2n hashes).
    """
    hash_at = hash_at_from_leaves(leaf_hashes)
    return {tile: tile_data(tile, hash_at) for tile in tiles_for_size(len(leaf_hashes))}


def _complete_subtree(hashes: Sequence[bytes]) -> bytes:
    layer = list(hashes)
    while len(layer) > 1:
        layer = _parents(layer)
    return layer[0]


def hash_at_from_tiles(size: int, read_tile: Callable[[Tile], bytes]) -> HashAt:
    """A hash_at that reads the stored tiles of a tree of `size` leaves, for building proofs without leaves.

    hash_at(level, index) reads one tile: tile level level // 8, where the subtree spans 2**(level % 8)
    consecutive hashes that are hashed back together (at most 127 node hashes). The tile read is the full tile
    when it exists at this size, otherwise the partial tile of the width this size implies; `read_tile` should
    cache if the same tile is read repeatedly.
    """
    if size < 0:
        raise ValueError("size must be >= 0")

    def hash_at(level: int, index: int) -> bytes:
        if level < 0 or index < 0 or (index + 1) << level > size:
            raise ValueError(f"no complete subtree at level {level} index {index} in a tree of size {size}")
        tile_level, sublevel = divmod(level, TILE_HEIGHT)
        first_entry = index << sublevel
        tile_index, offset = divmod(first_entry, TILE_WIDTH)
        entries = _level_entries(size, tile_level)
        width = TILE_WIDTH if tile_index < entries // TILE_WIDTH else entries % TILE_WIDTH
        tile = Tile(tile_level, tile_index, width)
        data = read_tile(tile)
        if len(data) != HASH_SIZE * width:
            raise ValueError(f"{tile.path} holds {len(data)} bytes, expected {HASH_SIZE * width}")
        count = 1 << sublevel
        start = offset * HASH_SIZE
        hashes = [data[start + i * HASH_SIZE : start + (i + 1) * HASH_SIZE] for i in range(count)]
        return _complete_subtree(hashes)

    return hash_at
