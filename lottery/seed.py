"""A round's secret seed: made once, kept encrypted until the draw, committed to publicly.

AES-256-GCM with settings.LOTTERY_SEED_KEY; the stored value is nonce (12 bytes) followed
by the ciphertext and tag, bound to the round by its commitment as associated data, so a
ciphertext copied from another round does not decrypt.
"""

from __future__ import annotations

import hashlib
import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

SEED_BYTES = 32
NONCE_BYTES = 12


def commitment_of(seed: bytes) -> str:
    """The public commitment: SHA-256 of the raw seed, lower-case hex."""
    return hashlib.sha256(seed).hexdigest()


def _cipher() -> AESGCM:
    return AESGCM(bytes.fromhex(settings.LOTTERY_SEED_KEY))


def new_sealed_seed() -> tuple[bytes, str]:
    """(ciphertext, commitment) of a fresh random seed; the seed itself is not kept."""
    seed = secrets.token_bytes(SEED_BYTES)
    commitment = commitment_of(seed)
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + _cipher().encrypt(nonce, seed, commitment.encode()), commitment


def open_seed(ciphertext: bytes, commitment: str) -> bytes:
    """The seed; raises ValueError if it does not match its commitment (or the key)."""
    data = bytes(ciphertext)
    seed = _cipher().decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], commitment.encode())
    if commitment_of(seed) != commitment:
        raise ValueError("the seed does not match the round's commitment")
    return seed
