"""What the sealer records of batched access events (ports.AccessLeaves): per sealed event a slim leaf item, per
batch object a sealed-batch marker. The event itself (hash, consumer tag, times, actor) is the batch object's row
and its inclusion path is a record of the object's paths object (shared/ledger/leaf_paths.py): neither is copied
into the item, so it stays one write unit however large the log grows."""

from pydantic import BaseModel, ConfigDict, Field


class AccessLeaf(BaseModel):
    """A sealed event: its leaf, the batch object whose copy was sealed, and its record in that object's paths."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    leaf_index: int = Field(ge=0)
    batch_key: str
    record: int = Field(ge=0)


class BatchMarker(BaseModel):
    """A batch object wholly sealed. `sealed_size` and `paths_version` are set when leaves of the object were
    appended (the checkpoint that sealed them, and the version of its paths object); None when every event of it was
    already sealed from another object, or for markers written before paths objects existed."""

    model_config = ConfigDict(frozen=True)

    key: str
    version: str
    sealed_size: int | None = Field(default=None, ge=1)
    paths_version: str | None = None
