"""docker-compose.yml is accepted by Compose and describes the whole fleet.

Runs `docker-compose config` (Debian's docker-compose v1; `docker compose config` if that
is missing) on the repository's docker-compose.yml. No Docker engine is needed: `config`
only parses, validates and normalises the file. The tool is installed by
deploy/infra/tools.sh; if it is missing the test fails (it does not skip).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "deploy" / "Dockerfile"

INFRA_IMAGES = {
    "rabbitmq": "rabbitmq:3.13-management",
    "redis": "redis:7",
    "mongo": "mongo:7",
}
INFRA_PORTS = {
    "rabbitmq": {5672, 15672},
    "redis": {6379},
    "mongo": {27017},
}
# SERVICE build arg (the Python package is parley_<SERVICE>) -> HTTP port
SERVICE_PORTS = {
    "gateway": 8080,
    "auth": 8081,
    "chat_session": 8082,
    "chatbot_engine": 8083,
    "presence": 8084,
    "notification": 8085,
    "integrations": 8087,
}


def _compose_commands() -> list[list[str]]:
    """Candidate Compose invocations, preferred first."""
    candidates: list[list[str]] = []
    if shutil.which("docker-compose"):
        candidates.append(["docker-compose"])
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, timeout=60)
        if probe.returncode == 0:
            candidates.append(["docker", "compose"])
    return candidates


@pytest.fixture(scope="module")
def compose_config() -> dict[str, Any]:
    assert COMPOSE_FILE.is_file(), f"{COMPOSE_FILE} is missing"
    candidates = _compose_commands()
    if not candidates:
        pytest.fail(
            "neither `docker-compose` nor a working `docker compose` is installed; "
            "run `bash deploy/infra/tools.sh` (installs Debian's docker-compose)"
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    failures = []
    for cmd in candidates:
        proc = subprocess.run(
            [*cmd, "-f", str(COMPOSE_FILE), "config"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if proc.returncode == 0:
            config = yaml.safe_load(proc.stdout)
            assert isinstance(config, dict) and "services" in config, proc.stdout
            return config
        failures.append(f"$ {' '.join(cmd)} config (exit {proc.returncode})\n{proc.stderr}")
    pytest.fail("Compose rejects docker-compose.yml:\n" + "\n".join(failures))


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # KEY=VALUE list form
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def _published_ports(service: dict[str, Any]) -> set[int]:
    ports = set()
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            ports.add(int(port["published"]))
        else:  # "HOST:CONTAINER" short form
            ports.add(int(str(port).split(":")[-2]))
    return ports


def _built_services(config: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """SERVICE build arg -> (compose service name, service) for every built service."""
    built = {}
    for name, service in config["services"].items():
        build = service.get("build")
        if build is None:
            continue
        assert isinstance(build, dict), f"{name}: build should be a mapping, got {build!r}"
        arg = (build.get("args") or {}).get("SERVICE")
        assert arg not in built, f"SERVICE={arg} is built twice ({built.get(arg, ('?',))[0]}, {name})"
        built[arg] = (name, service)
    return built


def test_infra_services_use_the_real_images(compose_config: dict[str, Any]) -> None:
    services = compose_config["services"]
    for name, image in INFRA_IMAGES.items():
        assert name in services, f"infra service {name} is missing"
        assert services[name].get("image") == image, (name, services[name].get("image"))
        assert "build" not in services[name], f"{name} must use the {image} image, not a build"
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        assert INFRA_PORTS[name] <= _published_ports(services[name]), (
            name,
            _published_ports(services[name]),
        )


def test_six_services_built_from_the_one_dockerfile(compose_config: dict[str, Any]) -> None:
    assert DOCKERFILE.is_file(), f"{DOCKERFILE} is missing"
    built = _built_services(compose_config)
    assert set(built) == set(SERVICE_PORTS), f"built services: {sorted(map(str, built))}"
    for name, service in built.values():
        build = service["build"]
        context = (REPO_ROOT / build.get("context", ".")).resolve()
        assert context == REPO_ROOT, f"{name}: build context {context} is not the repo root"
        dockerfile = (context / build.get("dockerfile", "Dockerfile")).resolve()
        assert dockerfile == DOCKERFILE, f"{name}: built from {dockerfile}, not {DOCKERFILE}"


def test_services_are_configured_for_the_compose_network(compose_config: dict[str, Any]) -> None:
    for arg, (name, service) in _built_services(compose_config).items():
        env = _env(service)
        port = SERVICE_PORTS[arg]
        assert env.get("PARLEY_HTTP_HOST") == "0.0.0.0", name
        assert env.get("PARLEY_HTTP_PORT") == str(port), (name, env.get("PARLEY_HTTP_PORT"))
        assert port in _published_ports(service), (name, _published_ports(service))
        assert env.get("PARLEY_AMQP_URL", "").startswith("amqp://"), name
        assert "@rabbitmq:5672" in env["PARLEY_AMQP_URL"], (name, env["PARLEY_AMQP_URL"])
        assert env.get("PARLEY_REDIS_URL", "").startswith("redis://redis:6379"), name
        assert env.get("PARLEY_MONGO_URL", "").startswith("mongodb://mongo:27017"), name

        depends = service.get("depends_on") or {}
        assert isinstance(depends, dict), f"{name}: depends_on needs conditions"
        for infra in INFRA_IMAGES:
            assert depends.get(infra, {}).get("condition") == "service_healthy", (name, infra)

        check = " ".join(map(str, service.get("healthcheck", {}).get("test") or []))
        assert "/readyz" in check, f"{name}: healthcheck should probe /readyz, got {check!r}"

    # Services verify tokens themselves against auth's keys, reached by its compose hostname.
    auth_name, _ = _built_services(compose_config)["auth"]
    for name, service in _built_services(compose_config).values():
        jwks = _env(service).get("PARLEY_AUTH_JWKS_URL")
        assert jwks == f"http://{auth_name}:8081/auth/jwks.json", (name, jwks)


def test_dockerfile_selects_the_service_by_build_arg() -> None:
    text = DOCKERFILE.read_text()
    assert "FROM python:3.11-slim" in text
    assert "ARG SERVICE" in text
    assert "uv sync --frozen --no-dev --all-packages" in text
    assert "parley_${SERVICE}" in text
    assert "\nUSER " in text, "the image must not run as root"
