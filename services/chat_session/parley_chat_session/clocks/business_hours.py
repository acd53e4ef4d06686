"""A channel's business hours: weekly opening ranges in the channel's own time zone.

Outside them a channel never shows a dead widget: its chatbot answers, or the visitor gets the
offline form and what they write waits in the operators' queue.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from parley.contracts.base import Model

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


class OpeningRange(Model):
    """From ``start`` to ``end`` (24-hour ``HH:MM``, ``end`` may be ``24:00``), the same day."""

    start: str = Field(examples=["09:00"])
    end: str = Field(examples=["17:30"])

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.match(value):
            raise ValueError("a time of day is HH:MM, 00:00 to 24:00")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> OpeningRange:
        if _minutes(self.end) <= _minutes(self.start):
            raise ValueError(f"end {self.end} is not after start {self.start}")
        return self

    def contains(self, minute_of_day: int) -> bool:
        return _minutes(self.start) <= minute_of_day < _minutes(self.end)


class BusinessHours(Model):
    """Weekly opening hours; a day that is not listed is closed all day."""

    # The longest IANA name is 32 characters; a longer one names no zone (and too long a file
    # name is an OSError of its own, not a ValueError).
    timezone: str = Field(
        "UTC", max_length=64, examples=["Europe/Paris"], description="IANA time zone the hours are in."
    )
    weekly: dict[Weekday, list[OpeningRange]] = Field(default_factory=dict, description="Opening ranges per weekday.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    def is_open(self, at: datetime) -> bool:
        """Whether ``at`` (an aware datetime) falls inside an opening range."""
        local = at.astimezone(ZoneInfo(self.timezone))
        minute = local.hour * 60 + local.minute
        return any(span.contains(minute) for span in self.weekly.get(WEEKDAYS[local.weekday()], []))


def open_now(hours: BusinessHours | None, at: datetime) -> bool:
    """A channel without business hours is always open."""
    return hours is None or hours.is_open(at)
