"""The embedded backend's copy of a meeting for websocket hellos: handed out again only while the
record still holds its version, whoever changed the record."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.backends import embedded
from server.backends.embedded import EmbeddedBackend
from server.domain.meetings import Meeting


async def started(path: Path) -> EmbeddedBackend:
    backend = EmbeddedBackend(path)
    await backend.start()
    return backend


async def test_the_shared_copy_is_current_until_the_meeting_is_saved(tmp_path: Path) -> None:
    backend = await started(tmp_path / "plenary.db")
    try:
        await backend.save_meeting(Meeting("m1", "Working group"))
        assert backend.current_meeting("m1") is None  # nothing read for hellos yet
        shared = await backend.load_meeting_shared("m1")
        assert shared is not None and shared.title == "Working group"
        assert backend.current_meeting("m1") is shared
        assert backend.current_meeting("m2") is None

        changed = await backend.load_meeting("m1")
        assert changed is not None and changed is not shared  # a caller that changes gets its own
        changed.title = "Working group, renamed"
        await backend.save_meeting(changed)
        assert backend.current_meeting("m1") is None
        again = await backend.load_meeting_shared("m1")
        assert again is not None and again.title == "Working group, renamed"
        assert backend.current_meeting("m1") is again
    finally:
        await backend.close()


async def test_a_save_by_another_process_is_seen_by_the_next_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The CLI (plenary meeting reissue, ...) writes the same file from another process.
    path = tmp_path / "plenary.db"
    server, cli = await started(path), await started(path)
    try:
        await cli.save_meeting(Meeting("m1", "Working group"))
        shared = await server.load_meeting_shared("m1")
        monkeypatch.setattr(embedded, "MEETING_CHECK_SHARED_S", 60.0)
        assert server.current_meeting("m1") is shared
        changed = await cli.load_meeting("m1")
        assert changed is not None
        changed.title = "Reissued"
        await cli.save_meeting(changed)
        # Hellos within the window share the check made before the save ...
        assert server.current_meeting("m1") is shared
        # ... and the next check, once it is over, finds the new version.
        monkeypatch.setattr(embedded, "MEETING_CHECK_SHARED_S", 0.0)
        assert server.current_meeting("m1") is None
        fresh = await server.load_meeting_shared("m1")
        assert fresh is not None and fresh.title == "Reissued"
    finally:
        await cli.close()
        await server.close()


async def test_a_meeting_gone_from_the_record_is_not_handed_out(tmp_path: Path) -> None:
    path = tmp_path / "plenary.db"
    backend = await started(path)
    try:
        await backend.save_meeting(Meeting("m1", "Working group"))
        await backend.load_meeting_shared("m1")
        assert backend._wconn is not None
        backend._wconn.execute("DELETE FROM meetings WHERE id='m1'")
        assert backend.current_meeting("m1") is None
        assert await backend.load_meeting_shared("m1") is None
    finally:
        await backend.close()
    assert backend.current_meeting("m1") is None  # closed: nothing is handed out


async def test_the_hellos_of_a_few_milliseconds_share_a_check_and_a_save_ends_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = await started(tmp_path / "plenary.db")
    try:
        await backend.save_meeting(Meeting("m1", "Working group"))
        shared = await backend.load_meeting_shared("m1")
        # However slow the machine, the hellos below come within the window ...
        monkeypatch.setattr(embedded, "MEETING_CHECK_SHARED_S", 60.0)
        assert backend.current_meeting("m1") is shared
        assert backend._vconn is not None
        backend._vconn.close()  # a second check would now fail (and say None)
        assert backend.current_meeting("m1") is shared  # the check just made holds
        # ... and once it is over, the meeting is checked again: here that fails, so None.
        monkeypatch.setattr(embedded, "MEETING_CHECK_SHARED_S", 0.0)
        assert backend.current_meeting("m1") is None
        monkeypatch.setattr(embedded, "MEETING_CHECK_SHARED_S", 60.0)
        backend._vconn = None
        assert backend.current_meeting("m1") is shared
        changed = await backend.load_meeting("m1")
        assert changed is not None
        await backend.save_meeting(changed)
        assert backend.current_meeting("m1") is None  # even within the window of the save
    finally:
        await backend.close()
