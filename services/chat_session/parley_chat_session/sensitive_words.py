"""The per-channel sensitive-word filter (Aho-Corasick: one pass over the text for all words).

Matching is case-insensitive. A word made of letters or digits at its edges matches only as a
whole word ("ass" does not refuse "class"); a word in a script without spaces (Chinese, Japanese)
matches anywhere, as it must there.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import ahocorasick

# Automatons kept built, by word list: enough for every active channel of a deployment, small
# enough that a flood of word-list edits cannot grow memory without bound.
MAX_CACHED_FILTERS = 256


def _is_word_char(char: str) -> bool:
    return char.isalnum() and char.isascii()


class WordFilter:
    """The matcher of one word list."""

    def __init__(self, words: list[str]) -> None:
        self._automaton: Any = ahocorasick.Automaton()
        for word in {w.strip().casefold() for w in words if w.strip()}:
            self._automaton.add_word(word, word)
        self._empty = len(self._automaton) == 0
        if not self._empty:
            self._automaton.make_automaton()

    def first_match(self, text: str) -> str | None:
        """The first listed word found in ``text``, or None."""
        if self._empty or not text:
            return None
        folded = text.casefold()
        for end, word in self._automaton.iter(folded):
            start = end - len(word) + 1
            if _whole(folded, start, end, word):
                return word
        return None


def _whole(text: str, start: int, end: int, word: str) -> bool:
    """A match counts unless a word-like match is glued to more letters or digits."""
    if _is_word_char(word[0]) and start > 0 and _is_word_char(text[start - 1]):
        return False
    if _is_word_char(word[-1]) and end + 1 < len(text) and _is_word_char(text[end + 1]):
        return False
    return True


class SensitiveWords:
    """One built filter per distinct word list, rebuilt only when the list changes."""

    def __init__(self) -> None:
        self._filters: OrderedDict[tuple[str, ...], WordFilter] = OrderedDict()

    def filter_for(self, words: list[str]) -> WordFilter:
        key = tuple(sorted(words))
        built = self._filters.get(key)
        if built is None:
            built = self._filters[key] = WordFilter(list(key))
            if len(self._filters) > MAX_CACHED_FILTERS:
                self._filters.popitem(last=False)
        else:
            self._filters.move_to_end(key)
        return built

    def first_match(self, words: list[str], texts: list[str]) -> str | None:
        if not words:
            return None
        matcher = self.filter_for(words)
        for text in texts:
            found = matcher.first_match(text)
            if found is not None:
                return found
        return None


def texts_of(body: Any) -> list[str]:
    """Every string a message body carries (an action's meaning and parameter values too)."""
    if isinstance(body, str):
        return [body]
    if isinstance(body, dict):
        return [text for value in body.values() for text in texts_of(value)]
    if isinstance(body, list):
        return [text for value in body for text in texts_of(value)]
    return []
