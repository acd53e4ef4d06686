"""The per-channel sensitive-word filter (Aho-Corasick: one pass over the text for all words).

Matching is case-insensitive. A word made of letters or digits at its edges matches only as a
whole word ("ass" does not refuse "class"); a word in a script without spaces (Chinese, Japanese)
matches anywhere, as it must there.

Words and texts are compared in one folded form (:func:`fold`), so that what looks like a listed
word is one: NFKC (fullwidth and other compatibility forms become plain letters), invisible
format characters removed (a zero-width space or a soft hyphen inside a word), Cyrillic and Greek
letters that look like Latin ones read as those, then case folded.
"""

from __future__ import annotations

import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import ahocorasick

# Automatons kept built, by word list: enough for every active channel of a deployment, small
# enough that a flood of word-list edits cannot grow memory without bound.
MAX_CACHED_FILTERS = 256


# Characters that show nothing, so that one inside a word hides it from a plain match: the soft
# hyphen, zero-width space / non-joiner / joiner, word joiner and invisible operators, the BOM
# (zero-width no-break space), the Mongolian vowel separator, the combining grapheme joiner, and
# the bidirectional controls (which reorder what is shown without changing what is there).
_INVISIBLE = dict.fromkeys(
    [0x00AD, 0x034F, 0x061C, 0x180E, *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2070), 0xFEFF]
)

# Cyrillic and Greek letters drawn like Latin ones (Unicode's confusables.txt maps these to the
# same skeleton), upper and lower case, read as the Latin letter. A small explicit table rather
# than the whole confusables data: that also folds digits, punctuation and hundreds of symbols
# into letters, which would make listed words match ordinary text that merely contains them.
_LOOKALIKES = str.maketrans(
    {
        # Cyrillic
        "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
        "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J", "Ԛ": "Q", "Ԝ": "W", "Ү": "Y", "Ӏ": "I",
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ј": "j",
        "ԁ": "d", "һ": "h", "ԛ": "q", "ԝ": "w", "ӏ": "l", "ё": "e", "ї": "i", "к": "k",
        # Greek
        "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
        "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
        "α": "a", "ο": "o", "ρ": "p", "ι": "i", "κ": "k", "ν": "v", "τ": "t", "υ": "u", "χ": "x", "γ": "y",
    }
)  # fmt: skip


def fold(text: str) -> str:
    """The form words and texts are matched in (see the module's docstring)."""
    normalised = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    return normalised.translate(_LOOKALIKES).casefold()


def _is_word_char(char: str) -> bool:
    return char.isalnum() and char.isascii()


class WordFilter:
    """The matcher of one word list."""

    def __init__(self, words: list[str]) -> None:
        self._automaton: Any = ahocorasick.Automaton()
        for word in {fold(w).strip() for w in words if fold(w).strip()}:
            self._automaton.add_word(word, word)
        self._empty = len(self._automaton) == 0
        if not self._empty:
            self._automaton.make_automaton()

    def first_match(self, text: str) -> str | None:
        """The first listed word found in ``text``, or None."""
        if self._empty or not text:
            return None
        folded = fold(text)
        end: int
        word: str  # the automaton's values are the words themselves
        for end, word in self._automaton.iter(folded):
            start = end - len(word) + 1
            if _whole(folded, start, end, word):
                return word
        return None


def _whole(text: str, start: int, end: int, word: str) -> bool:
    """A match counts unless a word-like match is glued to more letters or digits."""
    if _is_word_char(word[0]) and start > 0 and _is_word_char(text[start - 1]):
        return False
    return not (_is_word_char(word[-1]) and end + 1 < len(text) and _is_word_char(text[end + 1]))


class SensitiveWords:
    """One built filter per distinct word list, rebuilt only when the list changes."""

    def __init__(self) -> None:
        self._filters: OrderedDict[tuple[str, ...], WordFilter] = OrderedDict()

    def filter_for(self, words: Sequence[str]) -> WordFilter:
        key = tuple(sorted(words))
        built = self._filters.get(key)
        if built is None:
            built = self._filters[key] = WordFilter(list(key))
            if len(self._filters) > MAX_CACHED_FILTERS:
                self._filters.popitem(last=False)
        else:
            self._filters.move_to_end(key)
        return built

    def first_match(self, words: Sequence[str], texts: list[str]) -> str | None:
        if not words:
            return None
        matcher = self.filter_for(words)
        for text in texts:
            found = matcher.first_match(text)
            if found is not None:
                return found
        return None


def texts_of(body: Any) -> list[str]:
    """Every string a message body carries: a text; an action's meaning, and every key and string
    of its parameters (a key is shown to the other side as much as a value is); a file message's
    caption and file names."""
    if isinstance(body, str):
        return [body]
    if "files" in body:
        return [body.get("text", ""), *(file["name"] for file in body["files"])]
    return [body.get("meaning", ""), *_strings_in(body.get("params", {}))]


def _strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for key, child in value.items() for text in (key, *_strings_in(child))]
    if isinstance(value, list):
        return [text for child in value for text in _strings_in(child)]
    return []
