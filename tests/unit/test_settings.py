from __future__ import annotations

import pytest

from parley.settings import ServiceSettings, load_settings


def test_defaults_point_at_the_local_infrastructure(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PARLEY_AMQP_URL", "PARLEY_REDIS_URL", "PARLEY_MONGO_URL", "PARLEY_HTTP_PORT"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(ServiceSettings)
    assert settings.amqp_url.startswith("amqp://") and "127.0.0.1" in settings.amqp_url
    assert settings.redis_url.startswith("redis://") and settings.mongo_url.startswith("mongodb://")


def test_environment_overrides_with_the_parley_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARLEY_BUS_PREFETCH", "7")
    monkeypatch.setenv("PARLEY_NODE_ID", "gw-1")
    settings = load_settings(ServiceSettings)
    assert (settings.bus_prefetch, settings.node_id) == (7, "gw-1")


def test_a_bad_value_stops_the_process_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PARLEY_HTTP_PORT", "not-a-port")
    with pytest.raises(SystemExit) as stopped:
        load_settings(ServiceSettings)
    assert stopped.value.code == 2
    assert "PARLEY_HTTP_PORT" in capsys.readouterr().err


def test_every_field_is_documented() -> None:
    assert all(field.description for field in ServiceSettings.model_fields.values())


def test_redis_cluster_nodes_are_read_as_host_port_pairs_and_exclude_sentinels() -> None:
    settings = ServiceSettings(redis_cluster_nodes=" redis-0:7000, 10.0.0.2:7001 ,")
    assert settings.cluster_node_addresses == [("redis-0", 7000), ("10.0.0.2", 7001)]
    assert ServiceSettings().cluster_node_addresses == []
    with pytest.raises(ValueError, match="host:port"):
        ServiceSettings(redis_cluster_nodes="redis-0")
    with pytest.raises(ValueError, match="not both"):
        ServiceSettings(redis_cluster_nodes="redis-0:7000", redis_sentinels="s-0:26379")
