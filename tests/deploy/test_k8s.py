"""Render the Kubernetes overlays and check what they would deploy.

Each overlay (k8s/overlays/dev, k8s/overlays/prod) is rendered with kustomize and every
object is validated: built-in kinds with kubernetes-validate (strict, against a pinned
Kubernetes version), custom resources with jsonschema against the CRD excerpts in
tests/deploy/crds. Then the fleet's deployment policies are asserted: hardened
containers, probes, limits, graceful gateway shutdown, no committed production Secret,
a PodDisruptionBudget and an autoscaler per Deployment, network policies matching
"who talks to whom", and monitoring wired to the same rules as the local Prometheus.

kustomize comes from $KUSTOMIZE, else deploy/tools/kustomize.sh (needs Go), else PATH.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
OVERLAYS_DIR = REPO / "k8s" / "overlays"
CRD_DIR = Path(__file__).resolve().parent / "crds"
KUSTOMIZE_SH = REPO / "deploy" / "tools" / "kustomize.sh"
RULE_FILES = [REPO / "deploy/prometheus/rules/recording.yml", REPO / "deploy/prometheus/rules/alerts.yml"]

# The oldest Kubernetes the manifests target: the gateway's preStop uses the native sleep
# action, on by default from 1.30.
KUBERNETES_VERSION = "1.30.0"
OVERLAYS = ["dev", "prod"]
IMAGE_REPOSITORY = "ghcr.io/parley-chat/parley"
SECRET_NAME = "parley-secrets"
PART_OF = {"app.kubernetes.io/part-of": "parley"}

# Kubernetes name -> the contract: module run, HTTP port, `service` label value.
SERVICES: dict[str, dict[str, Any]] = {
    "gateway": {"module": "parley_gateway", "port": 8080, "label": "gateway"},
    "auth": {"module": "parley_auth", "port": 8081, "label": "auth"},
    "chat-session": {"module": "parley_chat_session", "port": 8082, "label": "chat_session"},
    "chatbot-engine": {"module": "parley_chatbot_engine", "port": 8083, "label": "chatbot_engine"},
    "presence": {"module": "parley_presence", "port": 8084, "label": "presence"},
    "notification": {"module": "parley_notification", "port": 8085, "label": "notification"},
    "integrations": {"module": "parley_integrations", "port": 8087, "label": "integrations"},
}

BUS, REDIS, MONGO, VAPID, FILE_LINKS = (
    "PARLEY_AMQP_URL",
    "PARLEY_REDIS_URL",
    "PARLEY_MONGO_URL",
    "PARLEY_NOTIFICATION_VAPID_PRIVATE_KEY",
    "PARLEY_CHAT_FILES_URL_SECRET",
)
# Least privilege: each service gets exactly the secrets it uses.
EXPECTED_SECRET_KEYS = {
    "gateway": {BUS, REDIS},
    "auth": {BUS, REDIS, MONGO},
    "chat-session": {BUS, REDIS, MONGO, FILE_LINKS},
    "chatbot-engine": {BUS, REDIS, MONGO},
    "presence": {BUS, REDIS},
    "notification": {BUS, REDIS, MONGO, VAPID},
    "integrations": {BUS, REDIS, MONGO, "PARLEY_INTEGRATIONS_REPLY_TOKEN_KEY"},
}

# Who talks to whom, as the egress TCP/UDP ports each service's pods may open.
DNS, AMQP, REDIS_PORT, MONGO_PORT, AUTH_PORT, HTTPS = 53, 5672, 6379, 27017, 8081, 443
EXPECTED_EGRESS_PORTS = {
    "gateway": {DNS, AMQP, REDIS_PORT, AUTH_PORT},
    "auth": {DNS, AMQP, REDIS_PORT, MONGO_PORT},
    "chat-session": {DNS, AMQP, REDIS_PORT, MONGO_PORT},
    "chatbot-engine": {DNS, AMQP, REDIS_PORT, MONGO_PORT},
    "presence": {DNS, AMQP, REDIS_PORT},
    "notification": {DNS, AMQP, REDIS_PORT, MONGO_PORT, HTTPS},
    # Webhook receivers and external bots: public https hosts on 443.
    "integrations": {DNS, AMQP, REDIS_PORT, MONGO_PORT, HTTPS},
}
INGRESS_CONTROLLER_NAMESPACE = "ingress-nginx"
# Services the ingress routes to (the ingress controller may reach only these).
PUBLIC_SERVICES = {"gateway", "auth", "chat-session", "chatbot-engine", "notification", "integrations"}


# --------------------------------------------------------------------------- rendering


def _find_kustomize() -> str:
    explicit = os.environ.get("KUSTOMIZE")
    if explicit:
        return explicit
    go = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None)
    if go:
        env = {**os.environ, "GO": go}
        done = subprocess.run(["bash", str(KUSTOMIZE_SH)], capture_output=True, text=True, env=env, timeout=900)
        if done.returncode != 0:
            pytest.fail(f"deploy/tools/kustomize.sh failed:\n{done.stderr}")
        return done.stdout.strip().splitlines()[-1]
    on_path = shutil.which("kustomize")
    if on_path:
        return on_path
    pytest.skip("kustomize unavailable: set $KUSTOMIZE, or install Go for deploy/tools/kustomize.sh")


@pytest.fixture(scope="session")
def kustomize() -> str:
    return _find_kustomize()


@pytest.fixture(scope="session")
def rendered(kustomize: str) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for overlay in OVERLAYS:
        done = subprocess.run(
            [kustomize, "build", str(OVERLAYS_DIR / overlay)], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"kustomize build {overlay} failed:\n{done.stderr}"
        out[overlay] = [doc for doc in yaml.safe_load_all(done.stdout) if doc]
    return out


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def docs(rendered: dict[str, list[dict[str, Any]]], overlay: str) -> list[dict[str, Any]]:
    return rendered[overlay]


# --------------------------------------------------------------------------- helpers


def of_kind(docs: Iterable[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d.get("kind") == kind]


def by_name(docs: Iterable[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in of_kind(docs, kind)}


def deployments(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return by_name(docs, "Deployment")


def containers(deployment: dict[str, Any]) -> list[dict[str, Any]]:
    spec = deployment["spec"]["template"]["spec"]
    return spec.get("initContainers", []) + spec["containers"]


def pod_labels(deployment: dict[str, Any]) -> dict[str, str]:
    return deployment["spec"]["template"]["metadata"].get("labels", {})


def selector_matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """Kubernetes label-selector semantics (an empty selector matches everything)."""
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


_QUANTITY = re.compile(r"^([0-9.]+)([a-zA-Z]*)$")
_SUFFIX = {
    "": 1,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}


def quantity(value: str | int | float) -> float:
    match = _QUANTITY.match(str(value))
    assert match and match.group(2) in _SUFFIX, f"unparseable quantity {value!r}"
    return float(match.group(1)) * _SUFFIX[match.group(2)]


def resolved_env(container: dict[str, Any], docs: list[dict[str, Any]]) -> dict[str, Any]:
    """Plain env values, ConfigMaps pulled in by envFrom included (env wins, as in k8s)."""
    config_maps = by_name(docs, "ConfigMap")
    env: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        ref = source.get("configMapRef")
        if ref:
            assert ref["name"] in config_maps, f"envFrom references missing ConfigMap {ref['name']}"
            env.update(config_maps[ref["name"]].get("data", {}))
    for var in container.get("env", []):
        env[var["name"]] = var.get("value", var.get("valueFrom"))
    return env


def policies_selecting(docs: list[dict[str, Any]], labels: dict[str, str]) -> list[dict[str, Any]]:
    return [p for p in of_kind(docs, "NetworkPolicy") if selector_matches(p["spec"].get("podSelector"), labels)]


def port_number(port: int | str, container: dict[str, Any]) -> int:
    if isinstance(port, int):
        return port
    named = {p["name"]: p["containerPort"] for p in container.get("ports", []) if "name" in p}
    assert port in named, f"named port {port!r} is not declared by container {container['name']}"
    return named[port]


def rule_ports(rule: dict[str, Any], container: dict[str, Any] | None) -> set[int | str]:
    ports = rule.get("ports")
    assert ports, f"network policy rule without ports (allows every port): {rule}"
    return {port_number(p["port"], container) if container and isinstance(p["port"], str) else p["port"] for p in ports}


# --------------------------------------------------------------------------- schemas


def _closed(schema: Any) -> Any:
    """An OpenAPI schema where declared objects reject undeclared fields (kubectl --validate=strict)."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    if "properties" in schema:
        out["properties"] = {name: _closed(sub) for name, sub in schema["properties"].items()}
        if "additionalProperties" not in schema and not schema.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
    if isinstance(schema.get("additionalProperties"), dict):
        out["additionalProperties"] = _closed(schema["additionalProperties"])
    if "items" in schema:
        out["items"] = _closed(schema["items"])
    for key in ("anyOf", "allOf", "oneOf"):
        if key in schema:
            out[key] = [_closed(sub) for sub in schema[key]]
    return out


def crd_documents() -> list[tuple[Path, dict[str, Any]]]:
    return [(path, yaml.safe_load(path.read_text())) for path in sorted(CRD_DIR.glob("*.yaml"))]


@cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> closed openAPIV3Schema, from the CRD excerpts."""
    schemas = {}
    for _, crd in crd_documents():
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if version.get("served", True):
                schema = copy.deepcopy(version["schema"]["openAPIV3Schema"])
                schemas[(f"{group}/{version['name']}", kind)] = _closed(schema)
    return schemas


def schema_errors(obj: dict[str, Any]) -> Iterator[str]:
    name = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
    if not obj.get("metadata", {}).get("name"):
        yield f"{name}: metadata.name missing"
    key = (obj.get("apiVersion"), obj.get("kind"))
    if key in crd_schemas():
        validator = jsonschema.Draft7Validator(crd_schemas()[key])
        for error in validator.iter_errors(obj):
            yield f"{name}: {'.'.join(map(str, error.absolute_path))}: {error.message}"
        return
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        yield f"{name}: neither a Kubernetes {KUBERNETES_VERSION} kind nor in tests/deploy/crds ({key})"
    except kubernetes_validate.ValidationError as error:
        yield f"{name}: {'.'.join(map(str, error.path))}: {error.message}"


# --------------------------------------------------------------------------- validity


def test_crd_excerpts_are_valid_crds() -> None:
    problems = []
    for path, crd in crd_documents():
        try:
            kubernetes_validate.validate(crd, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            problems.append(f"{path.name}: {'.'.join(map(str, error.path))}: {error.message}")
        for version in crd["spec"]["versions"]:
            jsonschema.Draft7Validator.check_schema(version["schema"]["openAPIV3Schema"])
    assert not problems, "\n".join(problems)
    assert len(crd_schemas()) >= 6


def test_every_object_is_schema_valid(docs: list[dict[str, Any]]) -> None:
    problems = [problem for obj in docs for problem in schema_errors(obj)]
    assert not problems, "\n".join(problems)


def test_schema_validation_rejects_typos(docs: list[dict[str, Any]]) -> None:
    """Guard the guard: a misspelt field in a built-in and in a custom resource must fail."""
    deployment = copy.deepcopy(deployments(docs)["gateway"])
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    assert list(schema_errors(deployment)), "strict validation accepted an unknown container field"
    monitor = copy.deepcopy(of_kind(docs, "ServiceMonitor")[0])
    monitor["spec"]["endpoints"][0]["intervall"] = "15s"
    assert list(schema_errors(monitor)), "CRD validation accepted an unknown ServiceMonitor field"


def test_each_service_has_its_objects(docs: list[dict[str, Any]]) -> None:
    for kind in ("Deployment", "Service", "ServiceAccount", "PodDisruptionBudget", "HorizontalPodAutoscaler"):
        assert set(by_name(docs, kind)) >= set(SERVICES), f"missing {kind}"
    assert set(deployments(docs)) == set(SERVICES)


# --------------------------------------------------------------------------- contract


def test_service_contract(docs: list[dict[str, Any]]) -> None:
    services = by_name(docs, "Service")
    for name, contract in SERVICES.items():
        deployment = deployments(docs)[name]
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["command"] == ["python", "-m", contract["module"]]
        assert container["image"].startswith(IMAGE_REPOSITORY + ":") or "@sha256:" in container["image"]
        assert not container["image"].endswith(":latest")
        assert port_number("http", container) == contract["port"]
        env = resolved_env(container, docs)
        assert env["PARLEY_HTTP_PORT"] == str(contract["port"])
        assert env["PARLEY_HTTP_HOST"] == "0.0.0.0"
        assert env["PARLEY_LOG_FORMAT"] == "json"
        assert env["PARLEY_NODE_ID"] == {"fieldRef": {"fieldPath": "metadata.name"}}, "node id from the pod name"
        assert pod_labels(deployment)["parley.chat/service"] == contract["label"]
        service = services[name]
        assert selector_matches({"matchLabels": service["spec"]["selector"]}, pod_labels(deployment))
        assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(contract["port"], "http")]


def test_shared_settings(docs: list[dict[str, Any]]) -> None:
    (config,) = of_kind(docs, "ConfigMap")
    data = config["data"]
    assert data["PARLEY_MONGO_DB"] == "parley"
    assert data["PARLEY_AUTH_JWKS_URL"] == "http://auth:8081/auth/jwks.json"
    assert int(data["PARLEY_GATEWAY_DRAIN_SECONDS"]) > 0
    assert not set(data) & set().union(*EXPECTED_SECRET_KEYS.values()), "secrets belong in the Secret"


def test_secrets_least_privilege(docs: list[dict[str, Any]], overlay: str) -> None:
    secret_names = set(by_name(docs, "Secret"))
    for name, expected in EXPECTED_SECRET_KEYS.items():
        (container,) = deployments(docs)[name]["spec"]["template"]["spec"]["containers"]
        assert not any("secretRef" in source for source in container.get("envFrom", [])), "envFrom a Secret"
        refs = [v["valueFrom"]["secretKeyRef"] for v in container["env"] if "secretKeyRef" in v.get("valueFrom", {})]
        assert {ref["key"] for ref in refs} == expected, name
        for ref in refs:
            if overlay == "prod":
                assert ref["name"] == SECRET_NAME, "prod must reference the out-of-band Secret by name"
            else:
                assert ref["name"] in secret_names, f"{name} references missing Secret {ref['name']}"


def test_dev_secret_has_every_key(rendered: dict[str, list[dict[str, Any]]]) -> None:
    (secret,) = of_kind(rendered["dev"], "Secret")
    assert secret["metadata"]["name"].startswith(SECRET_NAME)
    assert set(secret["data"]) == set().union(*EXPECTED_SECRET_KEYS.values())


def test_prod_commits_no_secret(rendered: dict[str, list[dict[str, Any]]]) -> None:
    assert of_kind(rendered["prod"], "Secret") == []
    # ... and none hides in an overlay file that is not (yet) listed in a kustomization.
    for path in (REPO / "k8s/overlays/prod").rglob("*.y*ml"):
        for doc in yaml.safe_load_all(path.read_text()):
            assert not (doc and doc.get("kind") == "Secret"), f"Secret in {path}"


# --------------------------------------------------------------------------- pods


def test_containers_run_hardened(docs: list[dict[str, Any]]) -> None:
    for name, deployment in deployments(docs).items():
        pod = deployment["spec"]["template"]["spec"]
        pod_security = pod.get("securityContext", {})
        assert pod.get("automountServiceAccountToken") is False, name
        assert pod.get("serviceAccountName") == name, name
        assert pod_security.get("seccompProfile", {}).get("type") == "RuntimeDefault", name
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for container in containers(deployment):
            security = container.get("securityContext", {})
            where = f"{name}/{container['name']}"
            assert security.get("runAsNonRoot", pod_security.get("runAsNonRoot")) is True, where
            assert security.get("runAsUser", pod_security.get("runAsUser", 1)) != 0, where
            assert security.get("readOnlyRootFilesystem") is True, where
            assert security.get("allowPrivilegeEscalation") is False, where
            assert security.get("privileged", False) is False, where
            assert "ALL" in security.get("capabilities", {}).get("drop", []), where
            assert not security.get("capabilities", {}).get("add"), where
            tmp = [m for m in container.get("volumeMounts", []) if m["mountPath"] == "/tmp"]
            assert tmp and "emptyDir" in volumes[tmp[0]["name"]], f"{where}: /tmp must be an emptyDir"
    for account in of_kind(docs, "ServiceAccount"):
        assert account.get("automountServiceAccountToken") is False, account["metadata"]["name"]


def test_namespace_enforces_restricted_pod_security(docs: list[dict[str, Any]]) -> None:
    namespaces = by_name(docs, "Namespace")
    labels = namespaces["parley"]["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert {d["metadata"]["namespace"] for d in deployments(docs).values()} == {"parley"}


def test_probes(docs: list[dict[str, Any]]) -> None:
    for name, deployment in deployments(docs).items():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            http_port = port_number("http", container)
            for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
                get = container.get(probe, {}).get("httpGet")
                assert get, f"{name}: {probe} must be an HTTP GET"
                assert get["path"] == path, f"{name}: {probe} path"
                assert port_number(get["port"], container) == http_port, f"{name}: {probe} port"
            startup = container.get("startupProbe")
            if startup:
                assert startup["httpGet"]["path"] == "/healthz", f"{name}: startupProbe checks liveness"


def test_resources_requested_and_limited(docs: list[dict[str, Any]]) -> None:
    for name, deployment in deployments(docs).items():
        for container in containers(deployment):
            resources = container.get("resources", {})
            for resource in ("cpu", "memory"):
                request = resources.get("requests", {}).get(resource)
                limit = resources.get("limits", {}).get(resource)
                assert request and limit, f"{name}: {resource} request and limit"
                assert quantity(limit) >= quantity(request), f"{name}: {resource} limit below request"


def test_gateway_outlives_its_drain(docs: list[dict[str, Any]]) -> None:
    gateway = deployments(docs)["gateway"]
    pod = gateway["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    drain = int(resolved_env(container, docs)["PARLEY_GATEWAY_DRAIN_SECONDS"])
    pre_stop = container.get("lifecycle", {}).get("preStop", {})
    sleep = pre_stop.get("sleep", {}).get("seconds", 0)
    assert sleep > 0, "the gateway must keep serving while endpoint removal propagates"
    grace = pod["terminationGracePeriodSeconds"]
    # Sleep, then the drain window, then closing sockets and clients: leave >= 10 s for that.
    assert grace >= sleep + drain + 10, f"grace {grace}s vs preStop {sleep}s + drain {drain}s"


def test_pods_spread_across_topology(docs: list[dict[str, Any]]) -> None:
    for name, deployment in deployments(docs).items():
        constraints = deployment["spec"]["template"]["spec"].get("topologySpreadConstraints", [])
        keys = {c["topologyKey"] for c in constraints}
        assert {"topology.kubernetes.io/zone", "kubernetes.io/hostname"} <= keys, name
        for constraint in constraints:
            assert selector_matches(constraint["labelSelector"], pod_labels(deployment)), name


# --------------------------------------------------------------------------- availability


def test_every_deployment_has_a_pdb_and_an_hpa(docs: list[dict[str, Any]]) -> None:
    budgets = of_kind(docs, "PodDisruptionBudget")
    autoscalers = of_kind(docs, "HorizontalPodAutoscaler")
    for name, deployment in deployments(docs).items():
        namespace = deployment["metadata"]["namespace"]
        covering = [
            b
            for b in budgets
            if b["metadata"]["namespace"] == namespace
            and selector_matches(b["spec"]["selector"], pod_labels(deployment))
        ]
        assert len(covering) == 1, f"{name}: {len(covering)} PodDisruptionBudgets"
        assert "maxUnavailable" in covering[0]["spec"] or "minAvailable" in covering[0]["spec"]
        scaling = [
            h
            for h in autoscalers
            if h["metadata"]["namespace"] == namespace
            and h["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        ]
        assert len(scaling) == 1, f"{name}: {len(scaling)} HorizontalPodAutoscalers"
        assert "replicas" not in deployment["spec"], f"{name}: the HPA owns the replica count"


def test_autoscaling_signals(docs: list[dict[str, Any]]) -> None:
    for hpa in of_kind(docs, "HorizontalPodAutoscaler"):
        metrics = hpa["spec"]["metrics"]
        name = hpa["metadata"]["name"]
        if name == "gateway":
            pods = [m["pods"] for m in metrics if m["type"] == "Pods"]
            assert pods and pods[0]["metric"]["name"] == "parley_gateway_connections"
            assert pods[0]["target"]["type"] == "AverageValue"
        else:
            assert any(m["type"] == "Resource" and m["resource"]["name"] == "cpu" for m in metrics), name


def test_dev_runs_one_replica_each(rendered: dict[str, list[dict[str, Any]]]) -> None:
    for hpa in of_kind(rendered["dev"], "HorizontalPodAutoscaler"):
        assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (1, 1), hpa["metadata"]["name"]


def test_prod_runs_redundant_replicas(rendered: dict[str, list[dict[str, Any]]]) -> None:
    for hpa in of_kind(rendered["prod"], "HorizontalPodAutoscaler"):
        assert hpa["spec"]["minReplicas"] >= 2, hpa["metadata"]["name"]
        assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"], hpa["metadata"]["name"]


def test_prod_is_bigger_than_dev(rendered: dict[str, list[dict[str, Any]]]) -> None:
    dev, prod = deployments(rendered["dev"]), deployments(rendered["prod"])
    for name in SERVICES:
        dev_limits = dev[name]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
        prod_limits = prod[name]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
        assert quantity(prod_limits["memory"]) > quantity(dev_limits["memory"]), name


def test_prod_declares_its_infrastructure(rendered: dict[str, list[dict[str, Any]]]) -> None:
    kinds = {d["kind"] for d in rendered["prod"]}
    assert {"RabbitmqCluster", "MongoDBCommunity", "RedisReplication", "RedisSentinel"} <= kinds
    dev_kinds = {d["kind"] for d in rendered["dev"]}
    assert not dev_kinds & {"RabbitmqCluster", "MongoDBCommunity", "RedisReplication", "RedisSentinel", "StatefulSet"}


def test_prod_infrastructure_is_what_the_code_expects(rendered: dict[str, list[dict[str, Any]]]) -> None:
    """Issue 23: the clusters the code is written for. Quorum queues (declared quorum by the
    code itself, x-queue-type: no policy needed or able to change a type) need an odd number of
    nodes, three or more, to survive one; a partition pauses the minority. Redis: a primary and
    replicas watched by three Sentinels, quorum two. MongoDB: a replica set of three (w=majority
    survives one member lost)."""
    prod = rendered["prod"]
    (rabbitmq,) = of_kind(prod, "RabbitmqCluster")
    assert rabbitmq["spec"]["replicas"] >= 3 and rabbitmq["spec"]["replicas"] % 2 == 1
    assert "cluster_partition_handling = pause_minority" in rabbitmq["spec"]["rabbitmq"]["additionalConfig"]
    (replication,) = of_kind(prod, "RedisReplication")
    (sentinel,) = of_kind(prod, "RedisSentinel")
    assert replication["spec"]["clusterSize"] >= 2  # a primary and at least one replica to promote
    assert sentinel["spec"]["clusterSize"] == 3
    assert sentinel["spec"]["redisSentinelConfig"]["quorum"] == "2"
    assert sentinel["spec"]["redisSentinelConfig"]["redisReplicationName"] == replication["metadata"]["name"]
    (mongodb,) = of_kind(prod, "MongoDBCommunity")
    assert (mongodb["spec"]["type"], mongodb["spec"]["members"]) == ("ReplicaSet", 3)


# --------------------------------------------------------------------------- network


def test_every_pod_is_under_a_default_deny(docs: list[dict[str, Any]]) -> None:
    for name, deployment in deployments(docs).items():
        selecting = policies_selecting(docs, pod_labels(deployment))
        assert selecting, f"{name}: no NetworkPolicy selects its pods"
        types = {t for p in selecting for t in p["spec"].get("policyTypes", [])}
        assert {"Ingress", "Egress"} <= types, f"{name}: ingress and egress must both be restricted"
        deny_all = [
            p
            for p in selecting
            if set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
            and not p["spec"].get("ingress")
            and not p["spec"].get("egress")
        ]
        assert deny_all, f"{name}: no default-deny policy"


def _egress_ports(docs: list[dict[str, Any]], deployment: dict[str, Any]) -> set[int | str]:
    ports: set[int | str] = set()
    for policy in policies_selecting(docs, pod_labels(deployment)):
        for rule in policy["spec"].get("egress", []):
            ports |= rule_ports(rule, None)
    return ports


def test_egress_matches_who_talks_to_whom(docs: list[dict[str, Any]]) -> None:
    for name, deployment in deployments(docs).items():
        assert _egress_ports(docs, deployment) == EXPECTED_EGRESS_PORTS[name], name


def test_ingress_only_where_expected(docs: list[dict[str, Any]]) -> None:
    for name, deployment in deployments(docs).items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        http_port = port_number("http", container)
        from_controller = False
        for policy in policies_selecting(docs, pod_labels(deployment)):
            for rule in policy["spec"].get("ingress", []):
                assert rule.get("from"), f"{name}: ingress rule open to every source"
                assert rule_ports(rule, container) == {http_port}, f"{name}: ingress beyond its http port"
                for peer in rule["from"]:
                    namespace = (peer.get("namespaceSelector") or {}).get("matchLabels", {})
                    if namespace.get("kubernetes.io/metadata.name") == INGRESS_CONTROLLER_NAMESPACE:
                        from_controller = True
        assert from_controller == (name in PUBLIC_SERVICES), f"{name}: ingress-controller access"


def test_ingress_routes_public_services_with_websocket_timeouts(docs: list[dict[str, Any]]) -> None:
    ingresses = {doc["metadata"]["name"]: doc for doc in of_kind(docs, "Ingress")}
    assert set(ingresses) == {"parley", "parley-files"}
    ingress = ingresses["parley"]
    assert ingress["spec"]["rules"][0]["host"] == ingresses["parley-files"]["spec"]["rules"][0]["host"]
    annotations = ingress["metadata"]["annotations"]
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 3600
    backends = {
        path["backend"]["service"]["name"] for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]
    }
    assert backends == PUBLIC_SERVICES
    paths = [path["path"] for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]]
    assert "/ws" in paths and "/" not in paths, "route explicit paths; /metrics must stay internal"


def test_uploads_have_their_own_ingress_body_limit_and_are_not_buffered(docs: list[dict[str, Any]]) -> None:
    files = next(doc for doc in of_kind(docs, "Ingress") if doc["metadata"]["name"] == "parley-files")
    annotations = files["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == "100m"
    assert annotations["nginx.ingress.kubernetes.io/proxy-request-buffering"] == "off"
    routes = [
        (path["path"], path["backend"]["service"]["name"])
        for rule in files["spec"]["rules"]
        for path in rule["http"]["paths"]
    ]
    assert routes == [("/files", "chat-session")]


# --------------------------------------------------------------------------- monitoring


def test_service_monitor_scrapes_every_service(docs: list[dict[str, Any]]) -> None:
    monitors = [m for m in of_kind(docs, "ServiceMonitor") if m["metadata"]["namespace"] == "parley"]
    services = [s for s in of_kind(docs, "Service") if s["metadata"]["name"] in SERVICES]
    for service in services:
        labels = service["metadata"].get("labels", {})
        matching = [m for m in monitors if selector_matches(m["spec"]["selector"], labels)]
        assert len(matching) == 1, f"{service['metadata']['name']}: {len(matching)} ServiceMonitors"
        port_names = {p["name"] for p in service["spec"]["ports"]}
        (endpoint,) = matching[0]["spec"]["endpoints"]
        assert endpoint["port"] in port_names and endpoint.get("path", "/metrics") == "/metrics"
        relabel = [r for r in endpoint.get("relabelings", []) if r.get("targetLabel") == "service"]
        assert relabel and relabel[0]["sourceLabels"] == ["__meta_kubernetes_pod_label_parley_chat_service"]


def test_prometheus_rule_matches_local_rules(docs: list[dict[str, Any]]) -> None:
    """k8s/base/monitoring.yaml carries a copy of deploy/prometheus/rules: they must not drift."""
    local = [group for path in RULE_FILES for group in yaml.safe_load(path.read_text())["groups"]]
    (rule,) = of_kind(docs, "PrometheusRule")
    assert rule["spec"]["groups"] == local
