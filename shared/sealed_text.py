"""Staff's free text sealed with AES-GCM, so it can travel on Kafka without being readable there.

A key ring (the setting EVENT_TEXT_KEYS, `keyid:base64key,...`) belongs to the services that
need the words (intake and resolution), never to stats. The first key seals; every key opens.
A sealed text is `v1.<keyid>.<base64url(nonce + ciphertext + tag)>`, bound to its context (the
dossier's code and the event's type), so it cannot be moved to another dossier or event.

Dropping a key is crypto-shredding: what it sealed cannot be read again anywhere. A reader that
cannot open a text (no key, a dropped key, a tampered or moved text) gets `UNREADABLE`, never an
error: an event must not be dead-lettered because its words are gone.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = "v1"
UNREADABLE = "Nội dung cán bộ ghi: xem tại cơ quan giải quyết hồ sơ"
LOCAL_KEY_FILE = Path(__file__).resolve().parents[1] / ".local" / "event-text-key"
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_NONCE = 12


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class KeyRing:
    """Ordered keys by id: the first seals, all open."""

    def __init__(self, keys: dict[str, bytes]):
        if not keys:
            raise ValueError("a key ring needs at least one key")
        for key_id, key in keys.items():
            if not _KEY_ID.fullmatch(key_id):
                raise ValueError(f"key id {key_id[:40]!r}: 1-32 letters, digits, '-' or '_'")
            if len(key) not in (16, 24, 32):
                raise ValueError(f"key {key_id!r}: AES needs 16, 24 or 32 bytes, not {len(key)}")
        self._keys = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self.sealing_id = next(iter(keys))

    @classmethod
    def parse(cls, text: str) -> KeyRing:
        """`keyid:base64key,...` (standard or URL-safe base64); a ValueError names what is wrong,
        never a key."""
        keys: dict[str, bytes] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            key_id, sep, encoded = part.partition(":")
            if not sep:
                raise ValueError("each key is keyid:base64key")
            if key_id in keys:
                raise ValueError(f"key id {key_id[:40]!r} appears twice")
            try:
                standard = encoded.strip().replace("-", "+").replace("_", "/").rstrip("=")
                keys[key_id] = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
            except (binascii.Error, ValueError):
                raise ValueError(f"key {key_id[:40]!r} is not base64") from None
        return cls(keys)

    def seal(self, text: str, context: bytes) -> str:
        nonce = secrets.token_bytes(_NONCE)  # random 96-bit nonces: safe far beyond the texts one key seals
        sealed = self._keys[self.sealing_id].encrypt(nonce, text.encode(), context)
        return f"{VERSION}.{self.sealing_id}.{_b64(nonce + sealed)}"

    def unseal(self, sealed: str, context: bytes) -> str | None:
        """The text, or None when this ring cannot open it (unknown or dropped key, tampered, other context)."""
        version, _, rest = sealed.partition(".")
        key_id, _, body = rest.partition(".")
        aead = self._keys.get(key_id)
        if version != VERSION or aead is None:
            return None
        try:
            data = _unb64(body)
            return aead.decrypt(data[:_NONCE], data[_NONCE:], context).decode()
        except (InvalidTag, binascii.Error, ValueError):
            return None


def open_text(ring: KeyRing | None, sealed: str, context: bytes) -> str:
    """The sealed words, or the fixed phrase when they cannot be read here."""
    text = ring.unseal(sealed, context) if ring else None
    return UNREADABLE if text is None else text


def local_ring(path: Path = LOCAL_KEY_FILE) -> KeyRing:
    """The ring of a checkout (`make run`, `make test`): one key derived from a random secret made
    once in `.local/` (by the session secret's code, so services starting together agree)."""
    from shared.auth.sessions import load_secret

    return KeyRing({"local": hashlib.sha256(b"dvc-event-text-v1:" + load_secret(None, path)).digest()})
