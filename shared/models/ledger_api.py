"""HTTP models of the ledger endpoints (API.md, "Ledger"): proofs, checkpoints and the public key."""

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.models.fields import FieldRuleError, Strict


class ConsistencyQuery(BaseModel):
    model_config = Strict

    from_: int = Field(alias="from", ge=0)
    to: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> "ConsistencyQuery":
        if self.from_ > self.to:
            raise FieldRuleError("from", "must not be greater than to")
        return self


class ProofOut(BaseModel):
    event_id: str
    event_hash: str
    leaf_data: str
    leaf_hash: str
    leaf_index: int
    tree_size: int
    inclusion_path: list[str]
    root: str
    checkpoint: str
    key_id: str


class CheckpointOut(BaseModel):
    tree_size: int
    root: str
    checkpoint: str
    key_id: str


class ConsistencyOut(BaseModel):
    model_config = ConfigDict(validate_by_name=True, serialize_by_alias=True)

    from_: int = Field(alias="from")
    to: int
    proof: list[str]


class PublicKeyOut(BaseModel):
    key_id: str
    algorithm: str = "ECDSA_P256_SHA256"
    public_key_pem: str
    key_name: str  # the signature line's name in each checkpoint note
    verifier_key: str  # the same key in the signed-note verifier-key format, for transparency-log tooling
    fingerprint: str  # SHA-256 of the DER public key, hex: what `ccpa-audit verify` prints and `--key` accepts


class KeysOut(BaseModel):
    keys: list[PublicKeyOut]
