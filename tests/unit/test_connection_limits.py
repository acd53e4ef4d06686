"""Pure logic of the transport limits: whose address a socket counts under, the per-address
counts, and the edge's reading of a request path."""

from __future__ import annotations

import pytest

from parley.connection_limits import AddressCounts, ConnectionLimits, client_address, parse_networks
from parley_fleet.edge import GATEWAY_HARD_FRAME_BYTES
from parley_fleet.request_paths import AmbiguousPath, forwardable, normalise_path
from parley_gateway.settings import GatewaySettings
from parley_gateway.websocket import HARD_FRAME_LIMIT_FACTOR

BEHIND_EDGE = ConnectionLimits(trusted_proxies=parse_networks(["127.0.0.1", "10.0.0.0/8"]))


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        ("198.51.100.7", "203.0.113.9", "198.51.100.7"),  # not a proxy: its header proves nothing
        ("127.0.0.1", None, "127.0.0.1"),  # the proxy's own request
        ("127.0.0.1", "203.0.113.9", "203.0.113.9"),
        ("127.0.0.1", "1.2.3.4, 203.0.113.9", "203.0.113.9"),  # the client wrote 1.2.3.4 itself
        ("127.0.0.1", "203.0.113.9, 10.1.2.3", "203.0.113.9"),  # two proxies: the Ingress, then the edge
        ("127.0.0.1", "10.1.2.3", "10.1.2.3"),  # only proxies: the first of them
        ("127.0.0.1", "not-an-address, 10.1.2.3", "10.1.2.3"),  # garbage stops the walk at the hop that passed it
        ("127.0.0.1", "garbage", "127.0.0.1"),
    ],
)
def test_the_client_is_the_rightmost_address_no_trusted_proxy_wrote(
    peer: str, forwarded_for: str | None, client: str
) -> None:
    assert client_address(peer, forwarded_for, BEHIND_EDGE) == client


def test_nobody_is_trusted_by_default() -> None:
    assert client_address("127.0.0.1", "203.0.113.9", ConnectionLimits()) == "127.0.0.1"


def test_counts_admit_up_to_the_cap_per_address() -> None:
    counts = AddressCounts(limit=2)
    assert counts.admit("a") and counts.admit("a")
    assert not counts.admit("a")
    assert counts.admit("b")
    counts.release("a")
    assert counts.admit("a")
    counts.release("b")
    assert counts.of("b") == 0


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("/", "/"),
        ("/auth/login", "/auth/login"),
        ("/widget/", "/widget/"),
        ("/console/../metrics", "/metrics"),
        ("/console/%2e%2E/metrics", "/metrics"),
        ("/console/./a/.", "/console/a/"),
        ("//console///a", "/console/a"),
        ("/console/a/..", "/console/"),
        ("/channels/caf%C3%A9", "/channels/café"),
    ],
)
def test_paths_are_decoded_merged_and_resolved(raw: str, normal: str) -> None:
    assert normalise_path(raw) == normal


@pytest.mark.parametrize(
    "raw",
    [
        "/../metrics",
        "/a/%2fb",
        "/a/%2Fb",
        "/a\\b",
        "/a/%5Cb",
        "/a/%252e%252e",
        "/a/%00",
        "/a\x01",
        "/a/%ff",
        "metrics",
        "*",
    ],
)
def test_ambiguous_paths_are_refused(raw: str) -> None:
    with pytest.raises(AmbiguousPath):
        normalise_path(raw)


def test_a_normalised_path_is_forwarded_encoded() -> None:
    assert forwardable("/channels/café x") == "/channels/caf%C3%A9%20x"
    assert forwardable("/auth/login") == "/auth/login"


def test_the_edge_bounds_messages_at_the_gateways_own_hard_limit() -> None:
    assert GatewaySettings().gateway_max_frame_bytes * HARD_FRAME_LIMIT_FACTOR == GATEWAY_HARD_FRAME_BYTES


def test_the_listen_backlog_is_a_setting_sized_for_storms() -> None:
    assert ConnectionLimits.from_settings(GatewaySettings()).listen_backlog == 4096  # not aiohttp's 128
    assert ConnectionLimits.from_settings(GatewaySettings(http_listen_backlog=512)).listen_backlog == 512
