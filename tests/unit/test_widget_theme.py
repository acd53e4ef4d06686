"""A channel's widget theme: white text on its accent keeps WCAG 2.1 AA (4.5:1), or it is refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from parley_chat_session.channels.widget_theme import DEFAULT_ACCENT, WidgetTheme, contrast_with_white

pytestmark = pytest.mark.unit


def test_contrast_is_wcags() -> None:
    assert contrast_with_white("#000000") == pytest.approx(21.0)
    assert contrast_with_white("#ffffff") == pytest.approx(1.0)
    assert contrast_with_white("#767676") == pytest.approx(4.54, abs=0.01)  # the lightest AA grey
    assert contrast_with_white(DEFAULT_ACCENT) > 7


@pytest.mark.parametrize("accent", ["#777777", "#ffeb3b", "#4caf50", "#FFFFFF"])
def test_an_accent_white_text_is_hard_to_read_on_is_refused(accent: str) -> None:
    with pytest.raises(ValidationError, match="contrast"):
        WidgetTheme(accent=accent)


def test_a_readable_theme_is_kept_with_its_accent_in_lower_case() -> None:
    theme = WidgetTheme(accent="#6A1B9A", launcher_text="  Ask Flora ", position="left")
    assert (theme.accent, theme.launcher_text, theme.position, theme.avatar_url) == (
        "#6a1b9a",
        "Ask Flora",
        "left",
        None,
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"accent": "red"},
        {"accent": "#123456; background: url(https://evil.example)"},
        {"avatar_url": "javascript:alert(1)"},
        {"avatar_url": "data:image/svg+xml,<svg onload=alert(1)>"},
        {"avatar_url": "http://plain.example/a.png"},
        {"avatar_url": 'https://x.example/a.png") url(https://evil.example'},
        {"launcher_text": "x" * 41},
        {"position": "top"},
        {"$where": "1"},
    ],
)
def test_odd_or_hostile_fields_are_refused(fields: dict) -> None:
    with pytest.raises(ValidationError):
        WidgetTheme.model_validate(fields)
