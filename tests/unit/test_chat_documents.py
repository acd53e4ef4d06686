"""chat_session's typed documents: what a stored document, old or new, reads as."""

from __future__ import annotations

from parley_chat_session.channels.store import (
    DEFAULT_CAPACITY,
    DEFAULT_INACTIVITY_MINUTES,
    DEFAULT_RESPONSE_TARGET_SECONDS,
    ChannelSpec,
    channel_view,
)
from tests.unit.chat_documents import stored_channel


def test_a_channel_written_before_later_settings_reads_with_their_defaults() -> None:
    channel = stored_channel(operator_ids=["ann"], retired_setting="kept by an old version")
    assert channel.operator_ids == ("ann",)
    assert channel.operator_capacity == DEFAULT_CAPACITY and channel.routing == "least_busy"
    assert channel.response_target_seconds == DEFAULT_RESPONSE_TARGET_SECONDS
    assert channel.inactivity_timeout_minutes == DEFAULT_INACTIVITY_MINUTES
    assert channel.offline_emails == () and channel.files is None and channel.theme is None
    assert channel.agent is None and channel.round_robin_last is None and not channel.archived


def test_empty_business_hours_mean_always_open() -> None:
    assert stored_channel(business_hours={}).business_hours is None
    assert stored_channel(business_hours={"timezone": "Europe/Paris"}).business_hours is not None


def test_the_view_shows_the_specs_default_for_a_setting_the_document_lacks() -> None:
    view = channel_view(stored_channel(welcome="Hi"))
    assert view.welcome == "Hi"
    assert view.offline_message == ChannelSpec.model_fields["offline_message"].default


def test_an_agent_entry_reads_as_the_bot_serving_the_channel() -> None:
    agent = {"bot_id": "b1", "user_id": "agent:b1", "name": "Ada", "avatar_url": "", "failure_policy": "wait"}
    channel = stored_channel(agent=agent)
    assert channel.agent is not None and channel.agent.user_id == "agent:b1" and channel.agent.failure_policy == "wait"
