"""The visitor's device in a few words ("Chrome on Android"), from their browser's User-Agent.

Operators read it beside the conversation (an answer differs on a phone); the raw string is not
kept. A rough reading of the well-known families is enough here: nothing is decided by it.
"""

from __future__ import annotations

import re

# Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari", iOS browsers say "Safari".
_BROWSERS = (
    ("Edge", re.compile(r"\bEdgi?A?/(\d+)")),
    ("Opera", re.compile(r"\bOPR/(\d+)")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/(\d+)")),
    ("Firefox", re.compile(r"\b(?:Firefox|FxiOS)/(\d+)")),
    ("Chrome", re.compile(r"\b(?:HeadlessChrome|Chrome|CriOS)/(\d+)")),
    ("Safari", re.compile(r"\bVersion/(\d+)[\d.]* (?:Mobile/\S+ )?Safari/")),
)
_SYSTEMS = (
    ("iPhone", re.compile(r"\biPhone\b")),
    ("iPad", re.compile(r"\biPad\b")),
    ("Android", re.compile(r"\bAndroid\b")),
    ("Windows", re.compile(r"\bWindows\b")),
    ("ChromeOS", re.compile(r"\bCrOS\b")),
    ("macOS", re.compile(r"\bMac OS X\b|\bMacintosh\b")),
    ("Linux", re.compile(r"\bLinux\b")),
)
MAX_LENGTH = 60


def device_of(user_agent: str | None) -> str:
    """ "Chrome 120 on Android", "Safari 17 on iPhone", "Firefox on Linux"... or "" when unknown."""
    if not user_agent:
        return ""
    browser = next(
        ((name, match.group(1)) for name, pattern in _BROWSERS if (match := pattern.search(user_agent))), None
    )
    system = next((name for name, pattern in _SYSTEMS if pattern.search(user_agent)), None)
    if browser is None and system is None:
        return ""
    named = f"{browser[0]} {browser[1]}" if browser else "A browser"
    return (f"{named} on {system}" if system else named)[:MAX_LENGTH]
