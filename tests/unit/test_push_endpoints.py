"""Which push endpoints notification may call (issue 16, finding 8: SSRF through a push
subscription): public https hosts on port 443, checked as written and after resolution."""

from __future__ import annotations

import pytest

from parley.outbound_urls import EndpointRefused, EndpointRule, PublicAddressResolver

STRICT = EndpointRule()

INTERNAL = [
    "https://127.0.0.1/push/x",
    "https://127.0.0.1:15672/api/overview",
    "https://2130706433/push/x",  # 127.0.0.1 as one number
    "https://127.1/push/x",
    "https://0x7f.0.0.1/push/x",
    "https://0.0.0.0/push/x",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::1]/push/x",
    "https://[::ffff:127.0.0.1]/push/x",  # IPv4 loopback written as IPv6
    "https://[::ffff:10.1.2.3]/push/x",
    "https://[fe80::1]/push/x",
    "https://[fd00::1]/push/x",
    "https://10.0.0.5/push/x",
    "https://172.16.0.1/push/x",
    "https://172.31.255.254/push/x",
    "https://192.168.1.1/push/x",
    "https://100.64.0.1/push/x",  # CGNAT
    "https://224.0.0.1/push/x",  # multicast
    "https://localhost/push/x",
    "https://LOCALHOST./push/x",
    "https://api.localhost/push/x",
    "https://printer.local/push/x",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://redis/push/x",  # a bare name: a Kubernetes Service or a search-domain host
    "https://user:secret@fcm.googleapis.com/fcm/send/x",
    "https://user@fcm.googleapis.com/fcm/send/x",
    "http://fcm.googleapis.com/fcm/send/x",
    "ftp://fcm.googleapis.com/fcm/send/x",
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_FLUSHALL",
    "https://fcm.googleapis.com:6379/fcm/send/x",
    "https://fcm.googleapis.com:99999/fcm/send/x",
    "https:///push/x",
]

PUBLIC = [
    "https://fcm.googleapis.com/fcm/send/abc",
    "https://updates.push.services.mozilla.com/wpush/v2/abc",
    "https://web.push.apple.com:443/QGx",
    "https://wns2-par02p.notify.windows.com/w/?token=abc",
    "https://8.8.8.8/push/x",
    "https://[2606:4700::1111]/push/x",
]


@pytest.mark.parametrize("url", INTERNAL)
def test_internal_or_odd_endpoints_are_refused_with_a_reason(url: str) -> None:
    assert STRICT.problem(url)


@pytest.mark.parametrize("url", PUBLIC)
def test_public_https_push_services_are_allowed(url: str) -> None:
    assert STRICT.problem(url) is None


def test_allowed_hosts_exempt_only_themselves_from_the_address_and_port_rules() -> None:
    local = EndpointRule.of(["127.0.0.1", "Push.Test"], allow_insecure=True)
    assert local.problem("http://127.0.0.1:43211/push/x") is None
    assert local.problem("https://push.test:8443/push/x") is None
    assert local.problem("http://127.0.0.2:43211/push/x")
    assert local.problem("http://user:pw@127.0.0.1:43211/push/x")  # credentials never
    assert EndpointRule.of(["127.0.0.1"], allow_insecure=False).problem("http://127.0.0.1:43211/push/x")


async def test_a_name_that_resolves_to_a_private_address_is_refused_after_resolution() -> None:
    """The static check passes a dotted name; the resolver, whose answer is what is connected to,
    refuses it because every address it gives is internal (here, /etc/hosts' localhost)."""
    resolver = PublicAddressResolver(STRICT)
    with pytest.raises(EndpointRefused, match="no public address"):
        await resolver.resolve("localhost", 443)
    allowed = PublicAddressResolver(EndpointRule.of(["localhost"], allow_insecure=False))
    assert {entry["host"] for entry in await allowed.resolve("localhost", 443)} <= {"127.0.0.1", "::1"}
