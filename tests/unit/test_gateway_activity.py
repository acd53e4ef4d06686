"""What the gateway tells presence of its users' activity, and when (ActivityReports)."""

from __future__ import annotations

from parley_gateway.activity import ActivityReports

INTERVAL = 30.0


def test_first_activity_after_quiet_is_reported_at_once_then_batched() -> None:
    reports = ActivityReports(INTERVAL)
    assert reports.note("u1", now=100.0)  # never heard of: at once (an away user is online again)
    assert not reports.note("u1", now=101.0)  # chatting on: with the next batch
    assert not reports.note("u1", now=102.0)
    assert reports.take(now=110.0) == ["u1"]
    assert reports.take(now=140.0) == []  # nothing since: nothing to carry


def test_activity_is_reported_at_once_again_after_a_quiet_interval() -> None:
    reports = ActivityReports(INTERVAL)
    assert reports.note("u1", now=100.0)
    assert not reports.note("u1", now=129.0)
    assert reports.take(now=130.0) == ["u1"]  # reported at 130
    assert not reports.note("u1", now=159.0)  # 29 s after the batch that carried it
    assert reports.take(now=160.0) == ["u1"]
    assert reports.note("u1", now=190.0)  # a whole interval since it was last reported


def test_a_batch_carries_each_active_user_once_and_forgets_quiet_ones() -> None:
    reports = ActivityReports(INTERVAL)
    for user in ("u2", "u1", "u3"):
        assert reports.note(user, now=0.0)
    for user in ("u2", "u1", "u2"):
        assert not reports.note(user, now=1.0)
    assert reports.take(now=2.0) == ["u1", "u2"]
    assert reports.take(now=40.0) == []
    # Forgotten after a quiet interval: the next activity of any of them goes out at once.
    assert all(reports.note(user, now=41.0) for user in ("u1", "u2", "u3"))


def test_an_immediate_report_that_failed_rides_on_the_next_batch() -> None:
    reports = ActivityReports(INTERVAL)
    assert reports.note("u1", now=0.0)
    reports.note_unreported("u1")
    assert reports.take(now=5.0) == ["u1"]
