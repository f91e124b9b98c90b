"""Secrets in links: issuing them, storing only hashes, checking them in constant time.

A link key has the form ``<credential id>.<secret>``. The id finds the credential; the secret is
hashed and compared with the stored hash by ``hmac.compare_digest``, so response time tells an
attacker nothing about how close a guess was.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from server.domain.channels import FLOOR
from server.domain.meetings import Credential, Meeting, Role, new_id

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_secret(secret: str) -> str:
    # Link secrets are 128 random bits: a fast hash is enough, there is nothing to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()


def issue(
    meeting: Meeting,
    role: Role,
    room: str | None = None,
    label: str = "",
    participant: str | None = None,
    channel: str | None = None,
) -> str:
    """Add a credential to the meeting and return the key that the link carries."""
    secret = secrets.token_urlsafe(16)
    cred = Credential(
        new_id(8), role, hash_secret(secret), room, label, participant=participant, channel=channel
    )
    meeting.credentials.append(cred)
    return f"{cred.id}.{secret}"


def hash_passcode(passcode: str) -> str:
    # Passcodes are short and chosen by people, so they get a slow, salted hash.
    salt = secrets.token_hex(16)
    digest = hashlib.scrypt(passcode.encode(), salt=bytes.fromhex(salt), **_SCRYPT).hex()
    return f"scrypt${salt}${digest}"


# Passcodes already verified, by (stored hash, fast digest of the passcode). Every viewer of a
# meeting enters the same passcode, and a crowd that reconnects at once would otherwise pay the
# slow hash once per viewer. Only correct passcodes are remembered, so guessing stays slow; a new
# passcode has a new stored hash, so the old one is forgotten with it.
_verified: dict[tuple[str, bytes], None] = {}
_VERIFIED_MAX = 1024


def passcode_known(stored: str, passcode: str) -> bool:
    """True when this passcode was already found right: checking it again is fast."""
    return (stored, hashlib.sha256(passcode.encode()).digest()) in _verified


def needs_slow_check(meeting: Meeting, key: str | None, passcode: str | None) -> bool:
    """True when ``authenticate`` would run the slow hash (a passcode not yet found right)."""
    stored = meeting.viewer_passcode_hash
    return (
        not key
        and bool(passcode)
        and stored is not None
        and not passcode_known(stored, passcode or "")
    )


def check_passcode(stored: str, passcode: str) -> bool:
    remembered = (stored, hashlib.sha256(passcode.encode()).digest())
    if remembered in _verified:
        return True
    try:
        _, salt, digest = stored.split("$")
        candidate = hashlib.scrypt(passcode.encode(), salt=bytes.fromhex(salt), **_SCRYPT).hex()
    except ValueError:
        return False
    if not hmac.compare_digest(candidate, digest):
        return False
    if len(_verified) >= _VERIFIED_MAX:
        _verified.clear()
    _verified[remembered] = None
    return True


@dataclass(frozen=True, slots=True)
class Grant:
    """Who a connection or request is, once its key has been checked."""

    role: Role
    credential_id: str | None
    room: str | None  # the only room this grant may act in; None for every room
    label: str
    participant: str | None = None  # the participant a personal link belongs to
    channel: str | None = None  # a captioner's one caption channel; None: any of its room

    def may_caption(self, room: str, channel: str = FLOOR) -> bool:
        if self.role == "chair":
            return True
        return (
            self.role == "captioner"
            and self.room in (None, room)
            and self.channel in (None, channel)
        )

    def may_run(self, room: str) -> bool:
        """Run this room's floor, its agenda position and its share of the rolling document:
        the chair anywhere, a convener in the one room of their link."""
        return self.role == "chair" or (self.role == "convener" and self.room == room)

    def may_manage(self) -> bool:
        """Manage participants, documents and attachments, and read the record: the chair and
        the secretariat."""
        return self.role in ("chair", "secretariat")


def authenticate(meeting: Meeting, key: str | None, passcode: str | None = None) -> Grant | None:
    """The grant for a key (or, with no key, for viewing), or None if it is not valid."""
    if key:
        cred_id, _, secret = key.partition(".")
        cred = meeting.credential(cred_id)
        # Hash even when the id is unknown, so both failures take the same time.
        candidate = hash_secret(secret)
        expected = cred.secret_hash if cred is not None else hash_secret("\0")
        if cred is None or cred.revoked or not hmac.compare_digest(candidate, expected):
            return None
        return Grant(cred.role, cred.id, cred.room, cred.label, cred.participant, cred.channel)
    if meeting.viewer_passcode_hash is None:
        return Grant("viewer", None, None, "")
    if passcode and check_passcode(meeting.viewer_passcode_hash, passcode):
        return Grant("viewer", None, None, "")
    return None
