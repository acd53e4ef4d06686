"""chat_session's pure rules: operator choice, wait estimates, business hours, the word filter,
command parsing, the transcript's HTML escaping and the satisfaction figures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from parley.contracts.messages import ActionBody, Message
from parley_chat_session.channels.satisfaction import stats
from parley_chat_session.channels.sensitive_words import SensitiveWords, WordFilter, texts_of
from parley_chat_session.clocks.business_hours import BusinessHours, open_now
from parley_chat_session.conversations.chat_commands import CannedLookup, Command, Plain, classify, help_text
from parley_chat_session.conversations.conversation_views import ConversationDetail
from parley_chat_session.routing.assignment import Candidate, Roster, choose
from parley_chat_session.routing.operator_queue import estimated_wait_seconds
from parley_chat_session.transcripts.transcript_html import render_html, render_text
from tests.kit.chat_documents import stored_channel

OPS = ["a", "b", "c"]


def test_least_busy_picks_the_lowest_load_ties_to_the_first_listed() -> None:
    assert choose("least_busy", OPS, [Candidate("b", 2), Candidate("c", 1)], None) == "c"
    assert choose("least_busy", OPS, [Candidate("a", 1), Candidate("b", 1)], "a") == "a"
    assert choose("least_busy", OPS, [], None) is None


def test_round_robin_goes_on_after_the_last_pick_and_wraps() -> None:
    everyone = [Candidate(op, 0) for op in OPS]
    assert choose("round_robin", OPS, everyone, None) == "a"
    assert choose("round_robin", OPS, everyone, "a") == "b"
    assert choose("round_robin", OPS, everyone, "c") == "a"
    assert choose("round_robin", OPS, [Candidate("a", 5), Candidate("b", 0)], "b") == "a"  # load does not matter
    assert choose("round_robin", OPS, everyone, "gone") == "a"  # a removed operator restarts the turn


def test_roster_respects_capacity_availability_and_exclusions() -> None:
    channel = stored_channel(operator_ids=OPS, routing="least_busy", operator_capacity=2)
    roster = Roster(channel, available={"a", "b"}, loads={"a": 1, "b": 2})
    assert [c.user_id for c in roster.candidates()] == ["a"]  # b is full, c is offline
    assert roster.pick() == "a"
    roster.took("a")
    assert roster.pick() is None  # a is full now too
    assert Roster(channel, {"a"}, {"a": 0}).pick(exclude=["a"]) is None


def test_wait_estimate_scales_with_position_and_shrinks_with_operators() -> None:
    assert estimated_wait_seconds(1, 300, operators_online=1, capacity=1) == 300
    assert estimated_wait_seconds(2, 300, operators_online=1, capacity=1) == 600
    assert estimated_wait_seconds(3, 300, operators_online=3, capacity=2) == 150
    assert estimated_wait_seconds(1, 300, operators_online=0, capacity=1) == 300  # nobody online: as if one


def test_business_hours_in_the_channels_time_zone() -> None:
    hours = BusinessHours.model_validate(
        {
            "timezone": "Europe/Paris",
            "weekly": {"mon": [{"start": "09:00", "end": "12:00"}, {"start": "14:00", "end": "24:00"}]},
        }
    )
    monday = datetime(2026, 11, 23, tzinfo=UTC)  # a Monday; Paris is UTC+1 in November
    assert hours.is_open(monday.replace(hour=8, minute=30))  # 09:30 in Paris
    assert not hours.is_open(monday.replace(hour=7, minute=59))  # 08:59 in Paris
    assert not hours.is_open(monday.replace(hour=11))  # 12:00 in Paris: the end is excluded
    assert hours.is_open(monday.replace(hour=22, minute=59))  # 23:59 in Paris
    assert not hours.is_open(datetime(2026, 11, 24, 9, tzinfo=UTC))  # Tuesday is not listed
    assert open_now(None, monday)


@pytest.mark.parametrize(
    "bad",
    [
        {"timezone": "Mars/Olympus"},
        {"weekly": {"mon": [{"start": "17:00", "end": "09:00"}]}},
        {"weekly": {"mon": [{"start": "9:00", "end": "17:00"}]}},
        {"weekly": {"someday": []}},
    ],
)
def test_bad_business_hours_are_refused(bad: dict) -> None:
    with pytest.raises(ValidationError):
        BusinessHours.model_validate(bad)


def test_word_filter_matches_whole_words_case_insensitively_and_cjk_anywhere() -> None:
    matcher = WordFilter(["Darn", "坏蛋", "c++", " "])
    assert matcher.first_match("Well DARN it") == "darn"
    assert matcher.first_match("darn.") == "darn"
    assert matcher.first_match("I am darning socks") is None
    assert matcher.first_match("undarn") is None
    assert matcher.first_match("你这个坏蛋!") == "坏蛋"
    assert matcher.first_match("I write c++ daily") == "c++"
    assert WordFilter([]).first_match("anything") is None


def test_word_filters_are_cached_per_list_and_check_every_string_of_a_body() -> None:
    words = SensitiveWords()
    assert words.filter_for(["b", "a"]) is words.filter_for(["a", "b"])
    body = ActionBody(meaning="say", params={"lines": ["fine", {"deep": "darn"}], "n": 3}).model_dump()
    assert texts_of(body) == ["say", "lines", "fine", "deep", "darn", "n"]
    assert words.first_match(["darn"], texts_of(body)) == "darn"
    assert words.first_match([], ["darn"]) is None


@pytest.mark.parametrize(
    ("text", "role", "expected"),
    [
        ("/help", "visitor", Command("help", "")),
        ("/Transfer  Bob Marsh ", "operator", Command("transfer", "Bob Marsh")),
        ("//not a command", "visitor", Plain("/not a command")),
        ("/usr/bin is broken", "visitor", Plain("/usr/bin is broken")),
        ("/ spaced", "visitor", Plain("/ spaced")),
        (":gre", "operator", CannedLookup("gre")),
        (":", "admin", CannedLookup("")),
        (":gre", "visitor", Plain(":gre")),
        (":) thanks", "operator", Plain(":) thanks")),
        ("hello", "operator", Plain("hello")),
    ],
)
def test_classify(text: str, role: str, expected: object) -> None:
    assert classify(text, role) == expected


def test_help_lists_what_the_role_may_use() -> None:
    assert "/transfer" not in help_text("visitor") and "/close" in help_text("visitor")
    assert all(usage in help_text("operator") for usage in ("/transfer <operator>", "/leave", ":shortcut"))


def test_transcript_html_escapes_user_text() -> None:
    now = datetime(2026, 11, 21, 10, tzinfo=UTC)
    conversation = ConversationDetail(
        id="c_1",
        channel_id="ch_1",
        status="closed",
        visitor_id="v_1",
        visitor_name="<Eve>",
        operator_id=None,
        member_ids=["v_1"],
        last_seq=2,
        created_at=now,
        last_activity_at=now,
        closed_at=now,
        close_reason="closed",
        members=[],
        history=[],
    )
    messages = [
        Message(
            id="m1",
            conversation_id="c_1",
            seq=1,
            author_id="v_1",
            author_role="visitor",
            author_name="<img src=x>",
            kind="text",
            body='<script>alert("x")</script>\nline 2',
            created_at=now,
        ),
        Message(
            id="m2",
            conversation_id="c_1",
            seq=2,
            author_id="v_1",
            author_role="visitor",
            kind="action",
            body=ActionBody(meaning="open<order>", params={"id": "<1>"}),
            created_at=now,
        ),
    ]
    html = render_html(conversation, messages, 'Chat with "<Acme>"')
    assert "<script>" not in html and "<img" not in html and "<order>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<br>line 2" in html
    assert "&lt;img src=x&gt;" in html and "[open&lt;order&gt;]" in html
    assert "<title>Chat with &quot;&lt;Acme&gt;&quot;</title>" in html
    assert '<script>alert("x")</script>' in render_text(conversation, messages, "t")  # plain text needs no escaping


def test_transcript_shows_a_bots_rich_content_as_its_text() -> None:
    now = datetime(2026, 11, 21, 10, tzinfo=UTC)
    conversation = ConversationDetail(
        id="c_1",
        channel_id="ch_1",
        status="closed",
        visitor_id="v_1",
        visitor_name="Eve",
        operator_id=None,
        member_ids=["v_1"],
        last_seq=2,
        created_at=now,
        last_activity_at=now,
        members=[],
        history=[],
    )
    bot = {
        "author_id": "bot_x",
        "author_role": "bot",
        "author_name": "Sam",
        "kind": "bot",
        "created_at": now,
        "conversation_id": "c_1",
    }
    messages = [
        Message.model_validate(
            {**bot, "id": "m1", "seq": 1, "body": {"kind": "text", "class": "question", "text": "What is it <about>?"}}
        ),
        Message.model_validate(
            {
                **bot,
                "id": "m2",
                "seq": 2,
                "body": {"kind": "quick_replies", "class": "answer", "action": "hide", "replies": []},
            }
        ),
    ]
    html = render_html(conversation, messages, "t")
    assert "What is it &lt;about&gt;?" in html and "[quick_replies]" in html


def test_satisfaction_counts_fours_and_fives_as_satisfied() -> None:
    figures = stats([5, 4, 3, 1])
    assert (figures.count, figures.average, figures.csat_percent) == (4, 3.25, 50.0)
    assert figures.distribution == [1, 0, 1, 1, 1]
    assert stats([2, 2, 5]).csat_percent == 33.3
    unrated = stats([])
    assert (unrated.count, unrated.average, unrated.csat_percent, unrated.distribution) == (0, None, None, [0] * 5)
