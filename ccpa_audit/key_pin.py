"""`ccpa-audit verify --key`: what the verifier is told to trust. A PEM file or a key id (fingerprint, or the 4-byte
signed-note key id) is read without any network; a `/ledger/keys` URL is the one form that is fetched."""

import json
import urllib.error
import urllib.request
from pathlib import Path

from shared.ledger.trust import KeyPin, key_identifier, trusted_key

FETCH_TIMEOUT_SECONDS = 10


class PinError(ValueError):
    """The --key value names no usable key; the message says why."""


def resolve_pin(value: str) -> KeyPin:
    if value.startswith(("https://", "http://")):
        return _fetched(value)
    path = Path(value)
    if path.is_file():
        try:
            return KeyPin(source=f"PEM file {value}", keys=(trusted_key(path.read_bytes()),))
        except (OSError, ValueError) as error:
            raise PinError(f"--key {value}: {error}") from None
    ident = key_identifier(value)
    if ident is None:
        raise PinError(f"--key {value}: not a PEM file, a key fingerprint (64 hex digits), a key id (8 hex digits) "
                       "or a /ledger/keys URL")
    kind = "fingerprint" if len(ident) == 64 else "key id"
    return KeyPin(source=f"{kind} {ident}", ids=(ident,))


def _fetched(url: str) -> KeyPin:
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310  http(s) only
            published = json.loads(response.read(1 << 20))
        keys = tuple(trusted_key(str(key["public_key_pem"]).encode()) for key in published["keys"])
    except (urllib.error.URLError, OSError) as error:
        raise PinError(f"--key {url}: cannot fetch the published keys ({error})") from None
    except (ValueError, KeyError, TypeError, RecursionError) as error:
        raise PinError(f"--key {url}: the answer is not a list of P-256 public keys ({error})") from None
    if not keys:
        raise PinError(f"--key {url}: the answer lists no key")
    return KeyPin(source=f"published keys at {url}", keys=keys)
