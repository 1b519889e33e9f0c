import hashlib

import pytest

from shared.ledger.merkle import (
    EMPTY_ROOT,
    LEAF_LABEL,
    TILE_WIDTH,
    Tile,
    consistency_proof,
    consistency_proof_for_leaves,
    edge_nodes,
    hash_at_from_leaves,
    hash_at_from_tiles,
    inclusion_proof,
    inclusion_paths,
    inclusion_proof_for_leaves,
    leaf_data,
    leaf_hash,
    node_hash,
    root,
    root_at,
    tile_contents,
    tile_data,
    tile_path,
    tiles_between,
    tiles_for_size,
    verify_consistency,
    verify_inclusion,
)

# RFC 6962 test vectors from github.com/transparency-dev/merkle, proof/verify_test.go (the same data as
# certificate-transparency-go and Trillian). There the inclusion vectors use 1-based leaf numbers; they are
# converted to 0-based indices below.
VECTOR_LEAVES = [
    bytes.fromhex(h)
    for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
]
VECTOR_ROOTS = [
    bytes.fromhex(h)
    for h in [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
]
# (0-based index, tree size, proof)
VECTOR_INCLUSION = [
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (0, 1, []),
]
# (size1, size2, proof)
VECTOR_CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
VECTOR_LEAF_HASHES = [leaf_hash(d) for d in VECTOR_LEAVES]
MAX_SIZE = 70


def _leaves(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


ALL_LEAVES = _leaves(2 * MAX_SIZE + 1)
ALL_HASH_AT = hash_at_from_leaves(ALL_LEAVES)


def _flip(h: bytes, pos: int = 0) -> bytes:
    return h[:pos] + bytes([h[pos] ^ 0x10]) + h[pos + 1 :]


# --- hashing and leaves ----------------------------------------------------------------------------------


def test_hashes_use_rfc6962_domain_prefixes_when_hashing_leaves_and_nodes():
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert node_hash(b"L" * 32, b"R" * 32) == hashlib.sha256(b"\x01" + b"L" * 32 + b"R" * 32).digest()


def test_root_is_sha256_of_nothing_when_tree_is_empty():
    assert root([]) == EMPTY_ROOT == bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    assert root_at(0, ALL_HASH_AT) == EMPTY_ROOT


@pytest.mark.parametrize("size", range(1, 9))
def test_root_matches_published_vector_when_given_the_rfc6962_leaves(size):
    assert root(VECTOR_LEAF_HASHES[:size]) == VECTOR_ROOTS[size - 1]
    assert root_at(size, hash_at_from_leaves(VECTOR_LEAF_HASHES)) == VECTOR_ROOTS[size - 1]


def test_root_refuses_leaf_hashes_when_not_32_bytes():
    with pytest.raises(ValueError, match="32 bytes"):
        root([b"short"])


def test_leaf_data_ends_with_event_hash_when_built():
    event, tag = "ab" * 32, "cd" * 32
    data = leaf_data(event, tag)
    assert data == LEAF_LABEL + bytes.fromhex(tag) + bytes.fromhex(event)
    assert data.endswith(bytes.fromhex(event))
    assert len(data) == len(b"ccpa-audit-leaf-v1") + 64


def test_leaf_data_uses_zero_tag_when_event_has_no_consumer():
    assert leaf_data("01" * 32, None) == b"ccpa-audit-leaf-v1" + bytes(32) + bytes.fromhex("01" * 32)


@pytest.mark.parametrize(
    ("event", "tag"),
    [("AB" * 32, None), ("ab" * 31, None), ("zz" * 32, None), ("ab" * 32, "CD" * 32), ("ab" * 32, ""), (None, None)],
)
def test_leaf_data_refuses_input_when_not_64_lowercase_hex(event, tag):
    with pytest.raises(ValueError, match="64 lowercase hex"):
        leaf_data(event, tag)


# --- published proof vectors -----------------------------------------------------------------------------


@pytest.mark.parametrize(("index", "size", "proof_hex"), VECTOR_INCLUSION)
def test_inclusion_proof_matches_published_vector_when_built_and_verified(index, size, proof_hex):
    proof = [bytes.fromhex(h) for h in proof_hex]
    assert inclusion_proof_for_leaves(index, VECTOR_LEAF_HASHES[:size]) == proof
    assert verify_inclusion(VECTOR_LEAF_HASHES[index], index, size, proof, VECTOR_ROOTS[size - 1])


@pytest.mark.parametrize(("m", "n", "proof_hex"), VECTOR_CONSISTENCY)
def test_consistency_proof_matches_published_vector_when_built_and_verified(m, n, proof_hex):
    proof = [bytes.fromhex(h) for h in proof_hex]
    assert consistency_proof_for_leaves(m, VECTOR_LEAF_HASHES[:n]) == proof
    assert verify_consistency(m, n, VECTOR_ROOTS[m - 1], VECTOR_ROOTS[n - 1], proof)


# --- properties over every small tree --------------------------------------------------------------------


@pytest.mark.parametrize("size", range(1, MAX_SIZE + 1))
def test_inclusion_proofs_verify_and_tampering_fails_when_checked_for_every_index(size):
    leaves = ALL_LEAVES[:size]
    tree_root = root(leaves)
    for index in range(size):
        proof = inclusion_proof(index, size, ALL_HASH_AT)
        assert proof == inclusion_proof_for_leaves(index, leaves)
        assert verify_inclusion(leaves[index], index, size, proof, tree_root)

        assert not verify_inclusion(_flip(leaves[index]), index, size, proof, tree_root)
        assert not verify_inclusion(leaves[index], index, size, proof, _flip(tree_root))
        for i in range(len(proof)):
            flipped = [*proof[:i], _flip(proof[i]), *proof[i + 1 :]]
            assert not verify_inclusion(leaves[index], index, size, flipped, tree_root)
        for wrong_index in {index - 1, index + 1, index ^ 2} - {index}:
            assert not verify_inclusion(leaves[index], wrong_index, size, proof, tree_root)
        for wrong_size in {size * 2, size // 2} - {size}:
            assert not verify_inclusion(leaves[index], index, wrong_size, proof, tree_root)
        for wrong_size in {size - 1, size + 1} - {0}:
            assert not verify_inclusion(leaves[index], index, wrong_size, proof, root(ALL_LEAVES[:wrong_size]))
        assert not verify_inclusion(leaves[index], index, size, [*proof, tree_root], tree_root)
        assert not verify_inclusion(leaves[index], index, size, [tree_root, *proof], tree_root)
        if proof:
            assert not verify_inclusion(leaves[index], index, size, proof[:-1], tree_root)
            assert not verify_inclusion(leaves[index], index, size, proof[1:], tree_root)


@pytest.mark.parametrize("n", range(1, MAX_SIZE + 1))
def test_consistency_proofs_verify_and_tampering_fails_when_checked_for_every_earlier_size(n):
    root_n = root(ALL_LEAVES[:n])
    for m in range(1, n + 1):
        root_m = root(ALL_LEAVES[:m])
        proof = consistency_proof(m, n, ALL_HASH_AT)
        assert proof == consistency_proof_for_leaves(m, ALL_LEAVES[:n])
        assert verify_consistency(m, n, root_m, root_n, proof)
        if m == n:
            assert proof == []
            continue

        assert not verify_consistency(m, n, _flip(root_m), root_n, proof)
        assert not verify_consistency(m, n, root_m, _flip(root_n), proof)
        assert not verify_consistency(m, n, root_n, root_m, proof)
        assert not verify_consistency(m, n, root_m, root_n, [])
        for i in range(len(proof)):
            assert not verify_consistency(m, n, root_m, root_n, [*proof[:i], _flip(proof[i]), *proof[i + 1 :]])
        for wrong_m in {m - 1, m + 1, m ^ 2} - {m}:
            assert not verify_consistency(wrong_m, n, root_m, root_n, proof)
        for wrong_n in {n * 2, n // 2} - {n}:
            assert not verify_consistency(m, wrong_n, root_m, root_n, proof)
        for wrong_n in (n - 1, n + 1):
            assert not verify_consistency(m, wrong_n, root_m, root(ALL_LEAVES[:wrong_n]), proof)
        assert not verify_consistency(m, n, root_m, root_n, [*proof, root_n])
        assert not verify_consistency(m, n, root_m, root_n, [proof[0], *proof])
        assert not verify_consistency(m, n, root_m, root_n, proof[:-1])


def test_size_is_bound_by_the_root_when_two_sizes_share_a_path_shape():
    # Index 0 has the same path shape in trees of 5 and 6 leaves, so a size-5 proof checked as size 6
    # against the size-5 root passes: a proof binds the size only through the root, which is why a
    # checkpoint signs size and root together. Against the real size-6 root it fails.
    proof = inclusion_proof(0, 5, ALL_HASH_AT)
    assert verify_inclusion(ALL_LEAVES[0], 0, 6, proof, root(ALL_LEAVES[:5]))
    assert not verify_inclusion(ALL_LEAVES[0], 0, 6, proof, root(ALL_LEAVES[:6]))


def test_inclusion_fails_when_index_is_outside_the_tree():
    leaf = ALL_LEAVES[0]
    assert not verify_inclusion(leaf, 1, 1, [], leaf)
    assert not verify_inclusion(leaf, 0, 0, [], leaf)
    assert not verify_inclusion(leaf, -1, 1, [], leaf)
    assert verify_inclusion(leaf, 0, 1, [], leaf)


def test_inclusion_fails_when_hashes_are_not_32_bytes():
    leaves = ALL_LEAVES[:4]
    proof = inclusion_proof_for_leaves(1, leaves)
    assert not verify_inclusion(leaves[1], 1, 4, [*proof[:-1], proof[-1] + b"\x00"], root(leaves))
    assert not verify_inclusion(b"", 0, 1, [], b"")
    assert not verify_inclusion(leaves[1], 1, 4, proof, root(leaves)[:31])


def test_consistency_handles_edge_sizes_when_trees_are_equal_or_empty():
    r3 = root(ALL_LEAVES[:3])
    assert verify_consistency(3, 3, r3, r3, [])
    assert not verify_consistency(3, 3, r3, _flip(r3), [])
    assert not verify_consistency(3, 3, r3, r3, [r3])
    assert verify_consistency(0, 3, EMPTY_ROOT, r3, [])
    assert not verify_consistency(0, 3, r3, r3, [])
    assert not verify_consistency(0, 3, EMPTY_ROOT, r3, [EMPTY_ROOT])
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert not verify_consistency(4, 3, r3, r3, [])
    assert not verify_consistency(-1, 3, EMPTY_ROOT, r3, [])
    assert consistency_proof(0, 5, ALL_HASH_AT) == []


def test_proof_builders_refuse_arguments_when_outside_the_tree():
    with pytest.raises(ValueError, match="outside"):
        inclusion_proof(5, 5, ALL_HASH_AT)
    with pytest.raises(ValueError, match="outside"):
        inclusion_proof(0, 0, ALL_HASH_AT)
    with pytest.raises(ValueError, match="m <= n"):
        consistency_proof(6, 5, ALL_HASH_AT)


def test_proofs_cost_logarithmic_hash_at_calls_when_tree_is_large():
    size = 100_003
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    stored = hash_at_from_leaves(leaves)
    calls = []

    def counting(level: int, index: int) -> bytes:
        calls.append((level, index))
        return stored(level, index)

    tree_root = root_at(size, counting)
    depth = (size - 1).bit_length()
    for index in (0, 1, 65_535, 99_999, size - 1):
        calls.clear()
        proof = inclusion_proof(index, size, counting)
        assert len(calls) <= 2 * depth
        assert verify_inclusion(leaves[index], index, size, proof, tree_root)
    for m in (1, 4096, 65_537, size - 1):
        calls.clear()
        proof = consistency_proof(m, size, counting)
        assert len(calls) <= 2 * depth
        assert verify_consistency(m, size, root_at(m, stored), tree_root, proof)


# --- tiles -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "index", "width", "path"),
    [
        (0, 1234067, 256, "tile/0/x001/x234/067"),
        (0, 1234, 256, "tile/0/x001/234"),
        (0, 1234, 17, "tile/0/x001/234.p/17"),
        (0, 0, 256, "tile/0/000"),
        (1, 5, 1, "tile/1/005.p/1"),
        (2, 1000, 256, "tile/2/x001/000"),
        (63, 999, 255, "tile/63/999.p/255"),
    ],
)
def test_tile_path_formats_index_in_x_prefixed_groups_when_rendered(level, index, width, path):
    assert tile_path(level, index, width) == path
    assert Tile(level, index, width).path == path


def test_tile_path_defaults_to_full_width_when_width_is_omitted():
    assert tile_path(0, 1234) == "tile/0/x001/234"


@pytest.mark.parametrize(
    ("level", "index", "width"), [(64, 0, 256), (-1, 0, 256), (0, -1, 256), (0, 0, 0), (0, 0, 257)]
)
def test_tile_path_refuses_coordinates_when_outside_the_spec(level, index, width):
    with pytest.raises(ValueError, match="tile"):
        tile_path(level, index, width)


def test_tiles_for_size_matches_spec_example_when_size_is_70000():
    tiles = tiles_for_size(70_000)
    level0 = [t for t in tiles if t.level == 0]
    assert [t for t in level0 if not t.is_partial] == [Tile(0, i) for i in range(273)]
    assert [t for t in level0 if t.is_partial] == [Tile(0, 273, 112)]
    assert [t for t in tiles if t.level == 1] == [Tile(1, 0), Tile(1, 1, 17)]
    assert [t for t in tiles if t.level == 2] == [Tile(2, 0, 1)]
    assert len(tiles) == 277


def test_tiles_for_size_matches_spec_example_when_size_is_256():
    assert tiles_for_size(256) == [Tile(0, 0), Tile(1, 0, 1)]


def test_tiles_for_size_is_empty_when_tree_is_empty():
    assert tiles_for_size(0) == []
    assert tiles_for_size(1) == [Tile(0, 0, 1)]


def test_tiles_between_lists_only_new_tiles_when_log_grows():
    assert tiles_between(0, 300) == tiles_for_size(300)
    assert tiles_between(300, 300) == []
    assert tiles_between(300, 301) == [Tile(0, 1, 45)]
    assert tiles_between(300, 512) == [Tile(0, 1), Tile(1, 0, 2)]
    assert tiles_between(256, 300) == [Tile(0, 1, 44)]
    for old, new in [(0, 1), (5, 260), (255, 256), (700, 70_000)]:
        expected = [t for t in tiles_for_size(new) if t not in set(tiles_for_size(old))]
        assert tiles_between(old, new) == expected
    with pytest.raises(ValueError, match="old_size"):
        tiles_between(5, 4)


def test_tile_contents_agree_with_hash_at_and_rebuild_proofs_when_read_back():
    size = 70_000
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    from_leaves = hash_at_from_leaves(leaves)
    contents = tile_contents(leaves)

    assert list(contents) == tiles_for_size(size)
    assert all(len(data) == 32 * tile.width for tile, data in contents.items())
    assert contents[Tile(0, 3)][32 * 7 : 32 * 8] == leaves[3 * 256 + 7]
    assert contents[Tile(1, 0)][32 * 5 : 32 * 6] == from_leaves(8, 5) == root(leaves[5 * 256 : 6 * 256])
    assert contents[Tile(1, 1, 17)][:32] == from_leaves(8, 256)
    assert contents[Tile(2, 0, 1)] == from_leaves(16, 0) == root(leaves[:65_536])
    assert contents[Tile(0, 100)] == tile_data(Tile(0, 100), from_leaves)

    reads = []

    def read_tile(tile: Tile) -> bytes:
        reads.append(tile)
        return contents[tile]

    from_tiles = hash_at_from_tiles(size, read_tile)
    for level, index in [(0, 0), (0, size - 1), (3, 17), (8, 0), (8, 272), (11, 30), (16, 0), (9, 135)]:
        assert from_tiles(level, index) == from_leaves(level, index)
    assert root_at(size, from_tiles) == root(leaves)
    for index in (0, 65_535, 69_999):
        assert inclusion_proof(index, size, from_tiles) == inclusion_proof(index, size, from_leaves)
    for m in (1, 256, 65_536, 69_000):
        assert consistency_proof(m, size, from_tiles) == consistency_proof(m, size, from_leaves)
    assert all(tile in contents for tile in reads)


def test_hash_at_from_tiles_reads_the_partial_tile_when_no_full_tile_exists_yet():
    leaves = _leaves(300)
    contents = tile_contents(leaves)
    from_tiles = hash_at_from_tiles(300, contents.__getitem__)
    assert from_tiles(2, 70) == hash_at_from_leaves(leaves)(2, 70)
    with pytest.raises(ValueError, match="no complete subtree"):
        from_tiles(2, 75)
    with pytest.raises(ValueError, match="no complete subtree"):
        from_tiles(9, 0)


def test_hash_at_from_tiles_refuses_a_tile_when_its_length_is_wrong():
    leaves = _leaves(TILE_WIDTH)
    from_tiles = hash_at_from_tiles(TILE_WIDTH, lambda tile: b"\x00" * 31)
    with pytest.raises(ValueError, match="expected 8192"):
        from_tiles(0, 0)
    assert root_at(TILE_WIDTH, hash_at_from_tiles(TILE_WIDTH, tile_contents(leaves).__getitem__)) == root(leaves)


def test_inclusion_paths_for_a_range_equal_rfc6962_paths_for_every_shape():
    import hashlib as _hashlib

    from shared.ledger import merkle as _merkle

    leaves = [_hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(70)]
    for end in range(1, 71):
        hash_at = _merkle.hash_at_from_leaves(leaves[:end])
        for start in {0, end // 3, end - 1}:
            paths = _merkle.inclusion_paths(start, end, hash_at)
            assert len(paths) == end - start
            assert _merkle.inclusion_paths(start, end, hash_at, leaves[start:end]) == paths
            for index, path in zip(range(start, end), paths, strict=True):
                assert path == b"".join(_merkle.inclusion_proof(index, end, hash_at)), (start, end, index)
    assert _merkle.inclusion_paths(5, 5, _merkle.hash_at_from_leaves(leaves[:5])) == []


def _plain(hash_at):
    """The same hash_at as a bare function, so the code takes its generic path (one call per node)."""
    return lambda level, index: hash_at(level, index)


def test_layer_slices_give_the_same_tiles_and_paths_as_one_call_per_node():
    leaves = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(600)]
    fast = hash_at_from_leaves(leaves)
    for tile in tiles_for_size(600):
        assert tile_data(tile, fast) == tile_data(tile, _plain(fast)), tile
    for start, end in [(0, 600), (256, 600), (599, 600), (3, 517)]:
        local = hash_at_from_leaves(leaves[:end])
        assert inclusion_paths(start, end, local) == inclusion_paths(start, end, _plain(local)), (start, end)


def test_layer_slices_refuse_a_missing_node_like_hash_at():
    hash_at = hash_at_from_leaves([bytes(32)] * 300)
    with pytest.raises(ValueError, match="no complete subtree at level 8 index 1"):
        tile_data(Tile(1, 0, 2), hash_at)
    with pytest.raises(ValueError, match="no complete subtree"):
        tile_data(Tile(0, 2), hash_at)


def test_node_and_leaf_hashes_equal_sha256_of_the_prefixed_bytes_when_called_repeatedly():
    left, right = hashlib.sha256(b"l").digest(), hashlib.sha256(b"r").digest()
    for _ in range(3):  # the prefix-fed hashers are copied, never fed twice
        assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
        assert leaf_hash(b"data") == hashlib.sha256(b"\x00data").digest()
    leaves = [hashlib.sha256(bytes([i])).digest() for i in range(5)]
    assert root(leaves) == node_hash(node_hash(node_hash(leaves[0], leaves[1]), node_hash(leaves[2], leaves[3])),
                                     leaves[4])


@pytest.mark.parametrize("tag", ["CD" * 32, ["cd" * 32], 7, "cd" * 31])
def test_leaf_data_refuses_a_bad_tag_when_asked_again_after_the_cache_met_good_ones(tag):
    assert leaf_data("01" * 32, "cd" * 32)[18:50] == bytes.fromhex("cd" * 32)
    for _ in range(2):
        with pytest.raises(ValueError, match="64 lowercase hex"):
            leaf_data("01" * 32, tag)


def test_root_names_the_bad_leaf_when_one_of_many_is_not_32_bytes():
    leaves = [bytes(32)] * 10
    with pytest.raises(ValueError, match=r"leaf_hashes\[7\]"):
        root(leaves[:7] + [bytes(31)] + leaves[8:])
    with pytest.raises(ValueError, match=r"leaf_hashes\[2\]"):
        hash_at_from_leaves(leaves[:2] + ["00" * 32] + leaves[3:])


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 255, 256, 1000, 70_000])
def test_edge_nodes_cover_the_tree_in_order_and_give_its_root(size):
    nodes = edge_nodes(size)
    assert len(nodes) == bin(size).count("1")
    spans = [(index << level, (index + 1) << level) for level, index in nodes]
    assert spans[0][0] == 0 and spans[-1][1] == size
    assert all(left[1] == right[0] for left, right in zip(spans, spans[1:]))
    leaves = [hashlib.sha256(str(i).encode()).digest() for i in range(size)]
    known = hash_at_from_leaves(leaves)
    edge = {node: known(*node) for node in nodes}
    assert root_at(size, lambda level, index: edge[level, index]) == root(leaves)
