"""A channel's look in the widget: its accent colour, launcher text, corner and avatar.

The widget draws white text on the accent (header, launcher, the visitor's bubbles), so an
accent is refused unless white on it keeps WCAG 2.1 AA's 4.5:1 for normal text: an admin cannot
make the chat unreadable. The avatar is an https image (no script or data URL reaches a page)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from parley.contracts.base import Model

DEFAULT_ACCENT = "#2f5d3a"  # the widget's own green: 7.6:1 with white
# WCAG 2.1 AA, normal text (the header's title and buttons are 13-16 px).
AA_CONTRAST = 4.5

Colour = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
ImageUrl = Annotated[str, StringConstraints(max_length=500, pattern=r"^https://[^\s\"'<>()\\]+$")]


def relative_luminance(colour: str) -> float:
    """WCAG 2.1's relative luminance of a #rrggbb colour."""

    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(colour[index : index + 2]) for index in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_with_white(colour: str) -> float:
    return 1.05 / (relative_luminance(colour) + 0.05)


class WidgetTheme(Model):
    accent: Colour = Field(
        DEFAULT_ACCENT,
        description="#rrggbb of the header, launcher and the visitor's bubbles; white text on it must keep "
        "a contrast of 4.5:1 (WCAG 2.1 AA), else 400 (9105).",
    )
    launcher_text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] = Field(
        "", description="The launcher's words; empty: the widget's own, in the visitor's language."
    )
    position: Literal["right", "left"] = Field("right", description="The bottom corner the launcher sits in.")
    avatar_url: ImageUrl | None = Field(None, description="An https image shown beside the chat's title.")

    @field_validator("accent")
    @classmethod
    def _readable(cls, accent: str) -> str:
        contrast = contrast_with_white(accent)
        if contrast < AA_CONTRAST:
            raise ValueError(f"white text on {accent} has a contrast of {contrast:.2f}:1; at least {AA_CONTRAST}:1")
        return accent.lower()
