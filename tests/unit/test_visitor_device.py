"""The visitor's device as operators read it, from common User-Agents (pure logic)."""

from __future__ import annotations

import pytest

from parley_chat_session.visitor_device import device_of

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.6099.144 Mobile Safari/537.36",
            "Chrome 120 on Android",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.2 Mobile/15E148 Safari/604.1",
            "Safari 17 on iPhone",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
            "Edge 120 on Windows",
        ),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", "Firefox 121 on Linux"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.1 Safari/605.1.15",
            "Safari 17 on macOS",
        ),
        ("curl/8.4.0", ""),
        ("", ""),
        (None, ""),
        ("<script>alert(1)</script> Android", "A browser on Android"),  # words of ours only, never theirs
    ],
)
def test_a_user_agent_becomes_a_few_words(user_agent: str | None, device: str) -> None:
    assert device_of(user_agent) == device
