"""Every endpoint of chat_session's HTTP API, with the small models only the API uses."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from parley.contracts.base import Model
from parley_chat_session.api_spec import ADMIN, ANYONE, CHANNEL_STAFF, PUBLIC, READERS, STAFF, VISITOR, Endpoint
from parley_chat_session.availability import AvailabilityView
from parley_chat_session.canned import CannedResponseList, CannedResponseSpec, CannedResponseView
from parley_chat_session.channels import ChannelPatch, ChannelSpec, ChannelView, Word
from parley_chat_session.conversation_views import (
    ConversationDetail,
    ConversationList,
    ConversationSummary,
    MessagePage,
    Transcript,
)
from parley_chat_session.transcripts import PageQuery, SearchQuery

# An address with a local part, one @ and a dotted domain: the mail server has the final word.
EMAIL_PATTERN = r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$"


class ChannelList(Model):
    channels: list[ChannelView]


class OperatorSpec(Model):
    name: str = Field("", max_length=100, description="Display name shown to visitors (kept if empty).")


class OperatorView(Model):
    user_id: str
    name: str
    available: bool = Field(description="Online, toggled available, and under the channel's capacity.")
    accepting_chats: bool = Field(
        description="Online and toggled available, at capacity or not (an operator's own switch, as their console shows it)."
    )
    load: int = Field(description="Open conversations assigned to the operator.")


class OperatorList(Model):
    operators: list[OperatorView]


class WordList(Model):
    words: list[Word] = Field(max_length=5000)


class CannedQuery(Model):
    prefix: str = Field("", max_length=32, description="Only shortcuts starting with this.")


class MineQuery(Model):
    include_closed: bool = False


class VisitorEmail(Model):
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254, pattern=EMAIL_PATTERN)]


CHANNEL = "/channels/{channel_id}"
CONVERSATION = "/conversations/{conversation_id}"

ENDPOINTS: list[Endpoint] = [
    Endpoint(
        "POST", "/channels", "create_channel",
        "Create a channel", "channels", ADMIN, body=ChannelSpec, response=ChannelView, status=201,
    ),
    Endpoint(
        "GET", "/channels", "list_channels",
        "List channels (an operator sees theirs)", "channels", STAFF, response=ChannelList,
    ),
    Endpoint(
        "GET", CHANNEL, "get_channel",
        "Read a channel", "channels", STAFF, response=ChannelView,
    ),
    Endpoint(
        "PATCH", CHANNEL, "update_channel",
        "Change some of a channel's settings", "channels", ADMIN, body=ChannelPatch, response=ChannelView,
    ),
    Endpoint(
        "DELETE", CHANNEL, "archive_channel",
        "Archive a channel (its transcripts stay)", "channels", ADMIN, status=204,
    ),
    Endpoint(
        "GET", f"{CHANNEL}/availability", "availability",
        "Whether the widget should offer chat or the offline form", "channels", PUBLIC, response=AvailabilityView,
    ),
    Endpoint(
        "GET", f"{CHANNEL}/operators", "list_operators",
        "The channel's operators, their availability and load", "operators", STAFF, response=OperatorList,
    ),
    Endpoint(
        "PUT", f"{CHANNEL}/operators/{{user_id}}", "add_operator",
        "Add an operator to the channel (or rename them)", "operators", ADMIN, body=OperatorSpec, response=OperatorList,
    ),
    Endpoint(
        "DELETE", f"{CHANNEL}/operators/{{user_id}}", "remove_operator",
        "Remove an operator from the channel", "operators", ADMIN, status=204,
    ),
    Endpoint(
        "GET", f"{CHANNEL}/queue", "waiting",
        "The channel's conversations waiting for an operator, next served first", "queue",
        CHANNEL_STAFF, response=ConversationList,
    ),
    Endpoint(
        "GET", f"{CHANNEL}/sensitive-words", "get_words",
        "The channel's sensitive words", "sensitive words", ADMIN, response=WordList,
    ),
    Endpoint(
        "PUT", f"{CHANNEL}/sensitive-words", "put_words",
        "Replace the channel's sensitive words", "sensitive words", ADMIN, body=WordList, response=WordList,
    ),
    Endpoint(
        "GET", f"{CHANNEL}/canned-responses", "list_canned",
        "The channel's canned responses", "canned responses",
        CHANNEL_STAFF, query=CannedQuery, response=CannedResponseList,
    ),
    Endpoint(
        "PUT", f"{CHANNEL}/canned-responses/{{shortcut}}", "put_canned",
        "Create or change a canned response", "canned responses",
        CHANNEL_STAFF, body=CannedResponseSpec, response=CannedResponseView,
    ),
    Endpoint(
        "DELETE", f"{CHANNEL}/canned-responses/{{shortcut}}", "delete_canned",
        "Delete a canned response", "canned responses", CHANNEL_STAFF, status=204,
    ),
    Endpoint(
        "GET", "/conversations", "search",
        "Search transcripts", "transcripts", ADMIN, query=SearchQuery, response=ConversationList,
    ),
    Endpoint(
        "GET", "/me/conversations", "mine",
        "Your conversations with their unread counts", "conversations",
        ANYONE, query=MineQuery, response=ConversationList,
    ),
    Endpoint(
        "GET", CONVERSATION, "get_conversation",
        "A conversation: members, log, rating", "conversations", READERS, response=ConversationDetail,
    ),
    Endpoint(
        "POST", f"{CONVERSATION}/take", "take",
        "Take a waiting conversation of your channel (whatever your toggle and load)", "queue",
        "the channel's operators", response=ConversationSummary,
    ),
    Endpoint(
        "GET", f"{CONVERSATION}/messages", "messages",
        "A page of messages, by seq", "transcripts", READERS, query=PageQuery, response=MessagePage,
    ),
    Endpoint(
        "GET", f"{CONVERSATION}/transcript.json", "transcript_json",
        "The whole transcript as JSON", "transcripts", READERS, response=Transcript,
    ),
    Endpoint(
        "GET", f"{CONVERSATION}/transcript.html", "transcript_html",
        "The whole transcript as readable HTML", "transcripts", READERS, content_type="text/html",
    ),
    Endpoint(
        "PUT", f"{CONVERSATION}/visitor-email", "set_email",
        "Leave an e-mail for the transcript", "conversations", VISITOR, body=VisitorEmail, status=204,
    ),
    Endpoint(
        "GET", "/openapi.yaml", "openapi",
        "This document", "meta", PUBLIC, content_type="application/yaml",
    ),
]
