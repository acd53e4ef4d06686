"""What a chatbot says: rich bot message kinds (bm-aichat) and the chatbot engine's own contracts.

A bot message is a chat message of ``kind: "bot"`` whose body is one :data:`BotContent`:
a discriminated union on ``kind`` (text, article, image, video, file, cards, menu,
quick_replies, suggestions, expression, mood, attitude, list, site_info, rich_text, related,
everyone_asking). Every content also carries a ``class``
saying what the bot is doing with it (bm-aichat's message class): a greeting, a question, an
imperative (an instruction the user is expected to follow), an answer, a proactive message
(the bot speaks first after a silence) or a nudge (the user did not answer a question).

This module imports nothing from the other contract modules, so ``messages.py`` can use it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from parley.contracts.base import Command, Contract, Model, contract

BotClass = Literal["greeting", "question", "imperative", "answer", "proactive", "nudge"]
# Classes that expect the user to do something: the "user unresponsive" timer watches them.
CLASSES_AWAITING_USER: frozenset[str] = frozenset({"question", "imperative"})

# Bot user ids are derived from the script id, so any service can tell a bot member from a
# human one and find its script without asking the engine.
BOT_ID_PREFIX = "bot_"
# Script ids become part of user ids and Redis keys: short, printable, no separators used there.
SCRIPT_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,47}$"

Url = Annotated[str, StringConstraints(min_length=8, max_length=2048, pattern=r"^https?://\S+$")]
Label = Annotated[str, StringConstraints(min_length=1, max_length=200)]
# The same limit as a chat message's text (messages.MAX_TEXT_LENGTH), repeated here because this
# module must not import messages.py.
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
ShortText = Annotated[str, StringConstraints(max_length=1000)]
# A carousel or menu longer than this no longer fits a phone screen; bm-aichat caps lists too.
MAX_ITEMS = 10
# The largest file size a script may state: JavaScript's largest exact integer (the widget reads
# it), far below what MongoDB's 8-byte integers hold; past it a script was accepted and then
# failed to store (500).
MAX_FILE_BYTES = 2**53 - 1


def bot_user_id(script_id: str) -> str:
    """The user id a script's bot posts under (and is a conversation member as)."""
    return f"{BOT_ID_PREFIX}{script_id}"


def script_id_of(user_id: str) -> str | None:
    """The script id of a bot user id, or None for a human's id."""
    return user_id.removeprefix(BOT_ID_PREFIX) if user_id.startswith(BOT_ID_PREFIX) else None


class ClassAliased(Model):
    """Base of models with a ``class`` field (a Python keyword): ``message_class`` in code,
    ``class`` on the wire. The config is written out here, in the class body, because that is
    where pydantic's mypy plugin reads it (it then accepts ``message_class=`` in constructors)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )


class _Content(ClassAliased):
    """Base of every bot content: ``class`` on the wire, ``message_class`` in Python."""

    message_class: BotClass = Field(alias="class", description="what the bot is doing with this message")


class TextContent(_Content):
    kind: Literal["text"]
    text: Text


class ArticleContent(_Content):
    """A link preview: title, summary, the page and an optional picture."""

    kind: Literal["article"]
    title: Label
    summary: ShortText = ""
    url: Url
    image: Url | None = None


class ImageContent(_Content):
    kind: Literal["image"]
    url: Url
    alt: ShortText = ""


class VideoContent(_Content):
    kind: Literal["video"]
    url: Url
    poster: Url | None = None
    caption: ShortText = ""


class FileContent(_Content):
    """A file to download."""

    kind: Literal["file"]
    url: Url
    name: Label
    size_bytes: int | None = Field(None, ge=0, le=MAX_FILE_BYTES)
    mime_type: Annotated[str, StringConstraints(max_length=200)] = ""


class Card(Model):
    title: Label
    text: ShortText = ""
    image: Url | None = None
    url: Url | None = None


class CardsContent(_Content):
    """A card list (carousel)."""

    kind: Literal["cards"]
    cards: list[Card] = Field(min_length=1, max_length=MAX_ITEMS)


class TapReply(Model):
    """An option of a menu or a suggestion: tapping it sends ``reply`` as the user's message."""

    label: Label
    reply: Text


class MenuContent(_Content):
    kind: Literal["menu"]
    text: ShortText = ""
    options: list[TapReply] = Field(min_length=1, max_length=MAX_ITEMS)


class QuickRepliesContent(_Content):
    """bm-aichat quickReply: show these chips under the input (tapping one sends it), or hide them."""

    kind: Literal["quick_replies"]
    action: Literal["show", "hide"]
    replies: list[Label] = Field(default_factory=list, max_length=MAX_ITEMS)

    @model_validator(mode="after")
    def _replies_match_action(self) -> QuickRepliesContent:
        if self.action == "show" and not self.replies:
            raise ValueError("show needs at least one reply")
        if self.action == "hide" and self.replies:
            raise ValueError("hide takes no replies")
        return self


class SuggestionsContent(_Content):
    """ "Did you mean": likely answers (a FAQ's entries) the user may pick."""

    kind: Literal["suggestions"]
    text: ShortText = ""
    suggestions: list[TapReply] = Field(min_length=1, max_length=MAX_ITEMS)


class ExpressionContent(_Content):
    """An expression (sticker or emoji code) the client renders; it acks with an expression notice."""

    kind: Literal["expression"]
    code: Label
    text: ShortText = ""


class MoodContent(_Content):
    """The bot's mood, which the client may render as an avatar animation."""

    kind: Literal["mood"]
    mood: Label
    text: ShortText = ""


class AttitudeContent(_Content):
    """The bot's attitude towards what the user said (agree, apologise, ...)."""

    kind: Literal["attitude"]
    attitude: Label
    text: ShortText = ""


class ListItem(Model):
    title: Label
    text: ShortText = ""
    image: Url | None = None
    url: Url | None = None


class ListContent(_Content):
    """bm-aichat list: a vertical list of items (unlike a carousel, all shown at once)."""

    kind: Literal["list"]
    text: ShortText = ""
    items: list[ListItem] = Field(min_length=1, max_length=MAX_ITEMS)
    ordered: bool = False


class SiteInfoContent(_Content):
    """bm-aichat site_info: a location card (a shop, an office) the client shows with a map link."""

    kind: Literal["site_info"]
    name: Label
    address: ShortText = ""
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    phone: Annotated[str, StringConstraints(max_length=50)] = ""
    url: Url | None = None
    image: Url | None = None


# HTML of a rich_text message before sanitising: room for a formatted answer of MAX_TEXT_LENGTH
# characters of text with its tags, still far under a frame's 64 KiB.
MAX_RICH_TEXT_HTML = 16_000


class RichTextContent(_Content):
    """bm-aichat rich_text: a small HTML subset (paragraphs, emphasis, lists, links). chat_session
    sanitises ``html`` before storing it (docs/bots.md lists what survives): clients may render
    the stored value as HTML."""

    kind: Literal["rich_text"]
    html: Annotated[str, StringConstraints(min_length=1, max_length=MAX_RICH_TEXT_HTML)]


class RelatedContent(_Content):
    """bm-aichat related questions: tapping one sends it as the user's message."""

    kind: Literal["related"]
    text: ShortText = ""
    questions: list[Label] = Field(min_length=1, max_length=MAX_ITEMS)


class EveryoneAskingContent(_Content):
    """bm-aichat "everyone is asking": popular questions; tapping one sends it as the user's message."""

    kind: Literal["everyone_asking"]
    text: ShortText = ""
    questions: list[Label] = Field(min_length=1, max_length=MAX_ITEMS)


BotContent = Annotated[
    TextContent
    | ArticleContent
    | ImageContent
    | VideoContent
    | FileContent
    | CardsContent
    | MenuContent
    | QuickRepliesContent
    | SuggestionsContent
    | ExpressionContent
    | MoodContent
    | AttitudeContent
    | ListContent
    | SiteInfoContent
    | RichTextContent
    | RelatedContent
    | EveryoneAskingContent,
    Field(discriminator="kind"),
]


# ---- chatbot_engine's own commands and events ------------------------------------------------


class RobotStatus(Model):
    """bm-aichat robot status: 1 online, 2 offline (``offline_seconds`` since), 3 unknown (never online)."""

    conversation_id: str
    bot_id: str
    status: Literal[1, 2, 3]
    offline_seconds: int | None = None


@contract("chatbot_engine.robot_status")
class GetRobotStatus(Command[RobotStatus]):
    """Ask the engine for a conversation's robot status; the reply is a ``robot.status`` frame's data."""

    conversation_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]


@contract("chatbot.contact_collected")
class ContactCollected(Contract):
    """A bot step collected a validated email or phone number from the visitor of a conversation."""

    conversation_id: str
    visitor_id: str
    field: Literal["email", "phone"]
    value: Annotated[str, StringConstraints(min_length=3, max_length=254)]
    step_id: str
