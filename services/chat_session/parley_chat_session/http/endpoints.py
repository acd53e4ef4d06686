"""Every endpoint of chat_session's HTTP API, with the small models only the API uses.

Served through parley.http_api (``HttpApi(ENDPOINTS, verifier, ...)`` in :mod:`parley_chat_session.app`),
which checks the token, the role and the resource rule (a method of
:class:`parley_chat_session.access.HttpChecks`) before a handler runs; the OpenAPI document
(served at ``/openapi.yaml``, kept in ``docs/chat-session-openapi.yaml``) is generated from this
table (:mod:`parley_chat_session.http.openapi`)."""

from __future__ import annotations

from pydantic import Field

from parley.contracts.base import Model
from parley.http_api import PUBLIC, Endpoint, roles
from parley_chat_session.channels.canned import CannedResponseList, CannedResponseSpec, CannedResponseView
from parley_chat_session.channels.satisfaction import ChannelRatings, RatingsQuery
from parley_chat_session.channels.store import ChannelPatch, ChannelSpec, ChannelView, Word
from parley_chat_session.conversations.conversation_views import (
    ConversationDetail,
    ConversationList,
    ConversationSummary,
    MessagePage,
    Transcript,
)
from parley_chat_session.files.api import FileLinks, UploadQuery, UploadView
from parley_chat_session.routing.availability import AvailabilityView
from parley_chat_session.transcripts.offline_requests import (
    Email,
    OfflineRequestList,
    OfflineRequestQuery,
    OfflineRequestSpec,
    OfflineRequestView,
)
from parley_chat_session.transcripts.reading import PageQuery, SearchQuery


class ChannelList(Model):
    channels: list[ChannelView]


class OperatorSpec(Model):
    name: str = Field("", max_length=100, description="Display name shown to visitors (kept if empty).")


class OperatorView(Model):
    user_id: str
    name: str
    available: bool = Field(description="Online, toggled available, and under the channel's capacity.")
    accepting_chats: bool = Field(
        description="Online and toggled available, at capacity or not "
        "(an operator's own switch, as their console shows it)."
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
    email: Email


# Who may call what; each resource rule is enforced by the HttpChecks method its check names.
ADMIN = roles("admin")
STAFF = roles("admin", "operator", rule="an operator sees only the channels they serve")
CHANNEL_STAFF = roles("admin", "operator", rule="an operator only of this channel", check="channel_staff")
READERS = roles(
    "admin",
    "operator",
    "visitor",
    rule="an operator or a visitor only as a member of the conversation",
    check="conversation_reader",
)
VISITOR = roles("visitor", rule="only the conversation's visitor", check="conversation_visitor")
OFFLINE_SENDER = roles(
    "visitor",
    rule="a visitor, from a page of an origin the channel allows (when it lists any)",
    check="offline_request_sender",
)
CHANNEL_OPERATOR = roles(
    "operator", rule="only an operator of the conversation's channel", check="conversation_channel_operator"
)
ANYONE = roles(rule="only their own conversations")
FILE_UPLOADERS = roles(
    rule="a member of the conversation (its visitor also while it is a temporary session), an operator of its "
    "channel, or an admin",
    check="file_uploader",
)
FILE_READERS = roles(
    rule="whoever may read the conversation (its visitor, an operator of its channel, an admin); an unsent "
    "upload only its uploader",
    check="file_reader",
)
DOWNLOAD_DESCRIPTION = (
    "Only with the query of a link from GET .../link (u, r, s, e, sig): a missing, altered or forged one is "
    "refused with 403 (9110), an expired one with 410 (9111); the link's user must still be allowed to read the "
    "conversation (9101) and their login session not revoked (7001). A bearer token, when also sent, must be that "
    "user's. Answered with Content-Disposition attachment (inline only for PNG, JPEG, GIF and WebP images), "
    "X-Content-Type-Options nosniff and a Content-Security-Policy that runs nothing."
)

CHANNEL = "/channels/{channel_id}"
CONVERSATION = "/conversations/{conversation_id}"
FILES = "/files/{conversation_id}"

ENDPOINTS: list[Endpoint] = [
    Endpoint(
        "POST",
        "/channels",
        "create_channel",
        "Create a channel",
        ADMIN,
        tag="channels",
        body=ChannelSpec,
        response=ChannelView,
        status=201,
    ),
    Endpoint(
        "GET",
        "/channels",
        "list_channels",
        "List channels (an operator sees theirs)",
        STAFF,
        tag="channels",
        response=ChannelList,
    ),
    Endpoint(
        "GET",
        CHANNEL,
        "get_channel",
        "Read a channel",
        CHANNEL_STAFF,
        tag="channels",
        response=ChannelView,
    ),
    Endpoint(
        "PATCH",
        CHANNEL,
        "update_channel",
        "Change some of a channel's settings",
        ADMIN,
        tag="channels",
        body=ChannelPatch,
        response=ChannelView,
    ),
    Endpoint(
        "DELETE",
        CHANNEL,
        "archive_channel",
        "Archive a channel (its transcripts stay)",
        ADMIN,
        tag="channels",
        status=204,
    ),
    Endpoint(
        "GET",
        f"{CHANNEL}/availability",
        "availability",
        "Whether the widget should offer chat or the offline form",
        PUBLIC,
        tag="channels",
        response=AvailabilityView,
    ),
    Endpoint(
        "POST",
        f"{CHANNEL}/offline-requests",
        "create_offline_request",
        "Leave a message for the channel's team (the widget's offline form)",
        OFFLINE_SENDER,
        tag="offline requests",
        body=OfflineRequestSpec,
        response=OfflineRequestView,
        status=201,
        extra_statuses=(429,),
        description="Stored for the channel's operators (GET .../offline-requests) and published as the "
        "offline_request.created webhook event. A visitor may send 3, then one per 10 minutes; a channel takes "
        "60, then 2 a minute: beyond that 429 (9003) with Retry-After. A page on an origin the channel does not "
        "allow is refused with 403 (9114).",
    ),
    Endpoint(
        "GET",
        f"{CHANNEL}/offline-requests",
        "list_offline_requests",
        "What visitors left with the offline form, newest first",
        CHANNEL_STAFF,
        tag="offline requests",
        query=OfflineRequestQuery,
        response=OfflineRequestList,
    ),
    Endpoint(
        "GET",
        f"{CHANNEL}/operators",
        "list_operators",
        "The channel's operators, their availability and load",
        CHANNEL_STAFF,
        tag="operators",
        response=OperatorList,
    ),
    Endpoint(
        "GET",
        f"{CHANNEL}/ratings",
        "channel_ratings",
        "Visitor satisfaction: the channel's ratings and CSAT (share of 4 and 5 stars), whole and per operator",
        CHANNEL_STAFF,
        tag="operators",
        query=RatingsQuery,
        response=ChannelRatings,
    ),
    Endpoint(
        "PUT",
        f"{CHANNEL}/operators/{{user_id}}",
        "add_operator",
        "Add an operator to the channel (or rename them)",
        ADMIN,
        tag="operators",
        body=OperatorSpec,
        response=OperatorList,
    ),
    Endpoint(
        "DELETE",
        f"{CHANNEL}/operators/{{user_id}}",
        "remove_operator",
        "Remove an operator from the channel",
        ADMIN,
        tag="operators",
        status=204,
    ),
    Endpoint(
        "GET",
        f"{CHANNEL}/queue",
        "waiting",
        "The channel's conversations waiting for an operator, next served first",
        CHANNEL_STAFF,
        tag="queue",
        response=ConversationList,
    ),
    Endpoint(
        "GET",
        f"{CHANNEL}/sensitive-words",
        "get_words",
        "The channel's sensitive words",
        ADMIN,
        tag="sensitive words",
        response=WordList,
    ),
    Endpoint(
        "PUT",
        f"{CHANNEL}/sensitive-words",
        "put_words",
        "Replace the channel's sensitive words",
        ADMIN,
        tag="sensitive words",
        body=WordList,
        response=WordList,
    ),
    Endpoint(
        "GET",
        f"{CHANNEL}/canned-responses",
        "list_canned",
        "The channel's canned responses",
        CHANNEL_STAFF,
        tag="canned responses",
        query=CannedQuery,
        response=CannedResponseList,
    ),
    Endpoint(
        "PUT",
        f"{CHANNEL}/canned-responses/{{shortcut}}",
        "put_canned",
        "Create or change a canned response",
        CHANNEL_STAFF,
        tag="canned responses",
        body=CannedResponseSpec,
        response=CannedResponseView,
    ),
    Endpoint(
        "DELETE",
        f"{CHANNEL}/canned-responses/{{shortcut}}",
        "delete_canned",
        "Delete a canned response",
        CHANNEL_STAFF,
        tag="canned responses",
        status=204,
    ),
    Endpoint(
        "GET",
        "/conversations",
        "search",
        "Search transcripts",
        ADMIN,
        tag="transcripts",
        query=SearchQuery,
        response=ConversationList,
    ),
    Endpoint(
        "GET",
        "/me/conversations",
        "mine",
        "Your conversations with their unread counts",
        ANYONE,
        tag="conversations",
        query=MineQuery,
        response=ConversationList,
    ),
    Endpoint(
        "GET",
        CONVERSATION,
        "get_conversation",
        "A conversation: members, log, rating",
        READERS,
        tag="conversations",
        response=ConversationDetail,
    ),
    Endpoint(
        "POST",
        f"{CONVERSATION}/take",
        "take",
        "Take a waiting conversation of your channel (whatever your toggle and load)",
        CHANNEL_OPERATOR,
        tag="queue",
        response=ConversationSummary,
        extra_statuses=(409,),
        description="409 (code 9104) when the conversation is closed; 400 (code 9105) when another operator has it.",
    ),
    Endpoint(
        "GET",
        f"{CONVERSATION}/messages",
        "messages",
        "A page of messages, by seq",
        READERS,
        tag="transcripts",
        query=PageQuery,
        response=MessagePage,
    ),
    Endpoint(
        "GET",
        f"{CONVERSATION}/transcript.json",
        "transcript_json",
        "The whole transcript as JSON",
        READERS,
        tag="transcripts",
        response=Transcript,
    ),
    Endpoint(
        "GET",
        f"{CONVERSATION}/transcript.html",
        "transcript_html",
        "The whole transcript as readable HTML",
        READERS,
        tag="transcripts",
        content_type="text/html",
    ),
    Endpoint(
        "PUT",
        f"{CONVERSATION}/visitor-email",
        "set_email",
        "Leave an e-mail for the transcript",
        VISITOR,
        tag="conversations",
        body=VisitorEmail,
        status=204,
    ),
    Endpoint(
        "POST",
        FILES,
        "upload_file",
        "Upload a file to send in a message of the conversation",
        FILE_UPLOADERS,
        tag="files",
        query=UploadQuery,
        response=UploadView,
        status=201,
        raw_body_types=("application/octet-stream",),
        extra_statuses=(409, 413, 415, 422, 429),
        description="The body is the file, streamed (any Content-Type: the type is sniffed from the content). "
        "Refused: larger than the channel accepts (413, 9106), a type it does not accept (415, 9107), an image "
        "that does not decode or an infected file (422, 9108), too many uploads (429, 9003) or the daily quota "
        "used (429, 9109), an empty file (400, 9105), a closed conversation (409, 9104). Send it with a message "
        "of kind file (its file_id) within the unsent-upload time, or it is deleted.",
    ),
    Endpoint(
        "GET",
        f"{FILES}/{{file_id}}/link",
        "file_link",
        "Short-lived signed download links to a file and its thumbnail",
        FILE_READERS,
        tag="files",
        response=FileLinks,
        extra_statuses=(409,),
        description="409 (9112) while the virus scanner has not answered; 404 (9113) for a file of another "
        "conversation, or another's unsent upload.",
    ),
    Endpoint(
        "GET",
        f"{FILES}/{{file_id}}",
        "download_file",
        "Download a file through a signed link",
        PUBLIC,
        tag="files",
        content_type="application/octet-stream",
        extra_statuses=(401, 403, 409, 410),
        description=DOWNLOAD_DESCRIPTION,
    ),
    Endpoint(
        "GET",
        f"{FILES}/{{file_id}}/thumbnail",
        "download_thumbnail",
        "Download an image's thumbnail (JPEG) through a signed link",
        PUBLIC,
        tag="files",
        content_type="image/jpeg",
        extra_statuses=(401, 403, 409, 410),
        description=DOWNLOAD_DESCRIPTION,
    ),
    Endpoint(
        "GET",
        "/openapi.yaml",
        "openapi",
        "This document",
        PUBLIC,
        tag="meta",
        content_type="application/yaml",
    ),
]
