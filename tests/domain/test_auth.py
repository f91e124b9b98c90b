"""Link keys and viewer passcodes."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from server.domain import auth
from server.domain.meetings import Meeting


def test_keys_are_checked_and_revocable() -> None:
    meeting = Meeting("m1", "WGEC")
    key = auth.issue(meeting, "captioner", "plenary", "Captioner")
    grant = auth.authenticate(meeting, key)
    assert grant is not None and grant.role == "captioner" and grant.room == "plenary"
    cred_id, _, secret = key.partition(".")
    assert auth.authenticate(meeting, f"{cred_id}.{secret[:-1]}x") is None
    assert auth.authenticate(meeting, f"nosuchid.{secret}") is None
    # Only the hash is stored.
    assert secret not in repr(meeting.to_dict())
    meeting.credentials[0].revoked = True
    assert auth.authenticate(meeting, key) is None


def test_a_crowd_with_the_right_passcode_pays_the_slow_hash_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []
    real = hashlib.scrypt

    def counting(*args: Any, **kwargs: Any) -> bytes:
        calls.append(1)
        return real(*args, **kwargs)

    stored = auth.hash_passcode("geneva2014")
    monkeypatch.setattr(hashlib, "scrypt", counting)
    assert all(auth.check_passcode(stored, "geneva2014") for _ in range(50))
    assert len(calls) == 1
    # Wrong guesses are never remembered: each one costs the slow hash.
    assert not any(auth.check_passcode(stored, "geneva2015") for _ in range(3))
    assert len(calls) == 4
    # A new passcode (a new stored hash) is checked afresh.
    restored = auth.hash_passcode("geneva2014")
    calls.clear()
    assert auth.check_passcode(restored, "geneva2014")
    assert len(calls) == 1
