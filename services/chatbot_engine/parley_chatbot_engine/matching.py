"""Reading what a visitor typed: which offered answer it picks, and whether it is an email or a phone.

A typed answer picks an option when it is the option's number ("2"), its label, id or one of
its aliases (case, accents and punctuation aside), or when it contains exactly one option's
label or alias as whole words ("billing please"). Anything ambiguous picks nothing, so the bot
asks again rather than guessing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from parley_chatbot_engine.script import Answer

_WORDS = re.compile(r"\w+")
# Deliberately permissive (RFC 5322 allows far more than any form should reject); what matters is
# one @, a dotted domain, no spaces. The length is SMTP's limit on a forward path.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
MAX_EMAIL_LENGTH = 254
# E.164: at most 15 digits; fewer than 7 is no reachable number anywhere.
MIN_PHONE_DIGITS, MAX_PHONE_DIGITS = 7, 15
_PHONE_SEPARATORS = re.compile(r"[\s().\-/]")


def normalise(text: str) -> str:
    """Lower case, accents removed, words separated by single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(_WORDS.findall(plain))


def match_answer(text: str, answers: Sequence[Answer]) -> Answer | None:
    """The answer ``text`` picks, or None when it picks none or is ambiguous."""
    typed = normalise(text)
    if not typed:
        return None
    if typed.isascii() and typed.isdigit() and 1 <= int(typed) <= len(answers):
        return answers[int(typed) - 1]
    exact = [answer for answer in answers if typed in _names(answer)]
    if len(exact) == 1:
        return exact[0]
    padded = f" {typed} "
    contained = [answer for answer in answers if any(f" {name} " in padded for name in _names(answer))]
    return contained[0] if len(contained) == 1 else None


def _names(answer: Answer) -> set[str]:
    names = {normalise(answer.label), normalise(answer.id.replace("_", " ")), *(normalise(a) for a in answer.aliases)}
    return {name for name in names if name}


def valid_email(text: str) -> str | None:
    """The address, trimmed and with its domain in lower case, or None if it is not one."""
    candidate = text.strip()
    if len(candidate) > MAX_EMAIL_LENGTH or not _EMAIL.match(candidate):
        return None
    local, domain = candidate.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def valid_phone(text: str) -> str | None:
    """The number as ``+digits`` or ``digits`` (separators removed), or None if it is not one."""
    candidate = _PHONE_SEPARATORS.sub("", text.strip())
    plus = candidate.startswith("+")
    digits = candidate[1:] if plus else candidate
    if not (digits.isascii() and digits.isdigit()) or not MIN_PHONE_DIGITS <= len(digits) <= MAX_PHONE_DIGITS:
        return None
    return f"+{digits}" if plus else digits
