"""The routing table of the Kubernetes Ingress (k8s/base/ingress.yaml), read from the manifest
itself so the local edge and the cluster route the same paths to the same services."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

INGRESS_MANIFEST = Path(__file__).resolve().parents[3] / "k8s" / "base" / "ingress.yaml"
# Kubernetes Service names are DNS labels (chat-session); the fleet names processes after their
# Python packages (chat_session).
FLEET_NAME_OF_SERVICE = {"chat-session": "chat_session", "chatbot-engine": "chatbot_engine"}

PathType = Literal["Exact", "Prefix"]
BODY_SIZE_ANNOTATION = "nginx.ingress.kubernetes.io/proxy-body-size"
# ingress-nginx's own default when an Ingress sets no body size.
DEFAULT_MAX_BODY_BYTES = 1024**2
_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


@dataclass(frozen=True)
class Route:
    path: str
    path_type: PathType
    service: str  # the fleet's name of the backend service
    # The Ingress's proxy-body-size: a larger request body is refused (413), as nginx would.
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

    def matches(self, request_path: str) -> bool:
        """Kubernetes semantics: Exact is the whole path; Prefix matches element by element
        (``/widget`` matches ``/widget`` and ``/widget/x``, not ``/widgets``)."""
        if self.path_type == "Exact":
            return request_path == self.path
        prefix = self.path.rstrip("/")
        return prefix == "" or request_path == prefix or request_path.startswith(prefix + "/")


def load_routes(manifest: Path = INGRESS_MANIFEST) -> list[Route]:
    """Every path of every rule of the Ingress in ``manifest``."""
    routes = []
    for document in yaml.safe_load_all(manifest.read_text()):
        if not document or document.get("kind") != "Ingress":
            continue
        annotations = document.get("metadata", {}).get("annotations") or {}
        max_body = body_size(annotations.get(BODY_SIZE_ANNOTATION, "1m"))
        for rule in document["spec"]["rules"]:
            for entry in rule["http"]["paths"]:
                name = entry["backend"]["service"]["name"]
                path_type = entry.get("pathType", "Prefix")
                if path_type not in ("Exact", "Prefix"):
                    raise ValueError(f"{manifest}: pathType {path_type} of {entry['path']} is not supported locally")
                service = FLEET_NAME_OF_SERVICE.get(name, name)
                routes.append(Route(entry["path"], path_type, service, max_body))
    if not routes:
        raise ValueError(f"{manifest}: no Ingress paths found")
    return routes


def body_size(value: str) -> int:
    """nginx's size syntax (``64k``, ``100m``, ``1g``, plain bytes) in bytes."""
    text = value.strip().lower()
    unit = text[-1] if text[-1:] in _SIZE_UNITS else ""
    return int(text.removesuffix(unit)) * _SIZE_UNITS[unit]


def pick_route(routes: list[Route], request_path: str) -> Route | None:
    """The route Kubernetes would pick: the longest matching path, Exact before Prefix on a tie."""
    matching = [route for route in routes if route.matches(request_path)]
    if not matching:
        return None
    return max(matching, key=lambda route: (len(route.path.rstrip("/")), route.path_type == "Exact"))
