"""Visitor satisfaction of a channel and of each of its operators, from the visitors' ratings.

CSAT is the industry's usual one: the share of ratings that are 4 or 5 out of 5. A rating counts
for every operator who took part in the conversation (a transfer shares it)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field
from pymongo import ASCENDING

from parley.contracts.base import Model
from parley.stores import MongoDatabase
from parley_chat_session.conversations.conversation_store import now
from parley_chat_session.routing.operator_profiles import OperatorProfiles

# Ratings of 4 and 5 out of 5 are "satisfied" (the usual CSAT threshold).
SATISFIED_FROM = 4
# A channel's window is read whole to count it: a busy channel's month stays well under this,
# and a bound keeps one request from reading a whole history.
MAX_RATINGS_COUNTED = 50_000


class RatingStats(Model):
    count: int = Field(description="Ratings in the window.")
    average: float | None = Field(description="Mean rating out of 5; null without ratings.")
    csat_percent: float | None = Field(description="Share of ratings of 4 or 5, in percent; null without ratings.")
    distribution: list[int] = Field(description="How many ratings of 1, 2, 3, 4 and 5.")


class OperatorRatings(RatingStats):
    user_id: str
    name: str


class ChannelRatings(Model):
    channel_id: str
    since: datetime
    channel: RatingStats
    operators: list[OperatorRatings] = Field(description="Every operator of the channel, and any rated one since.")


class RatingsQuery(Model):
    days: int = Field(30, ge=1, le=366, description="The window: ratings given in the last this many days.")


def stats(ratings: list[int]) -> RatingStats:
    """Count, mean, CSAT and distribution of ratings (1-5)."""
    distribution = [ratings.count(stars) for stars in range(1, 6)]
    if not ratings:
        return RatingStats(count=0, average=None, csat_percent=None, distribution=distribution)
    satisfied = sum(1 for stars in ratings if stars >= SATISFIED_FROM)
    return RatingStats(
        count=len(ratings),
        average=round(sum(ratings) / len(ratings), 2),
        csat_percent=round(100 * satisfied / len(ratings), 1),
        distribution=distribution,
    )


class Satisfaction:
    """Reads the ``ratings`` collection (written by :class:`parley_chat_session.conversations.closing.Closing`)."""

    def __init__(self, db: MongoDatabase, profiles: OperatorProfiles) -> None:
        self._ratings = db["ratings"]
        self._profiles = profiles

    async def create_indexes(self) -> None:
        await self._ratings.create_index([("channel_id", ASCENDING), ("rated_at", ASCENDING)], name="channel_rated")

    async def of_channel(self, channel_id: str, operator_ids: list[str], days: int) -> ChannelRatings:
        """The channel's ratings of the last ``days`` days, whole and per operator."""
        since = now() - timedelta(days=days)
        cursor = self._ratings.find(
            {"channel_id": channel_id, "rated_at": {"$gte": since}}, {"rating": 1, "operator_ids": 1}
        )
        docs: list[dict[str, Any]] = await cursor.limit(MAX_RATINGS_COUNTED).to_list()
        per_operator: dict[str, list[int]] = defaultdict(list)
        for doc in docs:
            for operator_id in doc.get("operator_ids", []):
                per_operator[operator_id].append(int(doc["rating"]))
        listed = list(dict.fromkeys([*operator_ids, *per_operator]))
        names = await self._profiles.names(listed)
        return ChannelRatings(
            channel_id=channel_id,
            since=since,
            channel=stats([int(doc["rating"]) for doc in docs]),
            operators=[
                OperatorRatings(user_id=op, name=names.get(op, op), **stats(per_operator[op]).model_dump())
                for op in listed
            ],
        )
