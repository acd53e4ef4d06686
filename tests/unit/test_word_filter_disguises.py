"""The sensitive-word filter sees through disguises (issue 16, finding 11): invisible characters,
compatibility forms, Cyrillic and Greek look-alike letters, and words hidden in an action's keys."""

from __future__ import annotations

import pytest

from parley.contracts.messages import ActionBody
from parley_chat_session.channels.sensitive_words import SensitiveWords, WordFilter, texts_of


@pytest.mark.parametrize(
    "text",
    [
        "da\u200brn",  # zero-width space
        "d\u200ca\u200drn",  # zero-width non-joiner and joiner
        "dar\u2060n",  # word joiner
        "\ufeffdarn",  # zero-width no-break space (BOM)
        "da\u00adrn",  # soft hyphen
        "d\u0430rn",  # Cyrillic a
        "D\u0410RN",  # Cyrillic capital A
        "d\u03b1rn",  # Greek alpha
        "\uff44\uff41\uff52\uff4e",  # fullwidth letters (NFKC)
        "well, d\u0430\u200brn it",  # two disguises at once, inside a sentence
    ],
)
def test_a_disguised_word_is_still_found(text: str) -> None:
    assert WordFilter(["darn"]).first_match(text) == "darn"


def test_folding_does_not_make_innocent_text_match() -> None:
    matcher = WordFilter(["darn"])
    for text in ("darning socks", "d a r n", "dam", "\u0434\u0430\u0440\u043d"):  # "дарн": д is no Latin letter
        assert matcher.first_match(text) is None, text


def test_a_listed_word_in_another_script_still_matches_itself() -> None:
    assert WordFilter(["\u0441\u0443\u043a\u0430"]).first_match("\u0421\u0423\u041a\u0410!") is not None


def test_an_actions_parameter_keys_are_checked_too() -> None:
    body = ActionBody(meaning="say", params={"darn": 1, "nested": [{"d\u0430rn": "x"}]}).model_dump()
    assert "darn" in texts_of(body)
    assert SensitiveWords().first_match(
        ["darn"], texts_of({"meaning": "say", "params": {"nested": [{"d\u0430rn": 1}]}})
    )
