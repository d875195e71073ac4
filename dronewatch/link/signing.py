"""MAVLink 2 signing keys from what an operator types.

Why one rule: the station, the simulator and MAVProxy must turn the same text into the
same 32-byte key, or every signed packet is dropped and the vehicle looks silent.
"""

from __future__ import annotations

import hashlib

__all__ = ["signing_key"]


def signing_key(text: str) -> bytes:
    """64 hex digits as the key itself; any other text hashed to 32 bytes with SHA-256,
    as MAVProxy's ``signing setup`` does with a passphrase."""
    if len(text) == 64:
        try:
            return bytes.fromhex(text)
        except ValueError:
            pass
    return hashlib.sha256(text.encode()).digest()
