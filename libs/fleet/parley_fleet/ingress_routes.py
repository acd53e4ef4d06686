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
FLEET_NAME_OF_SERVICE = {"chat-session": "chat_session"}

PathType = Literal["Exact", "Prefix"]


@dataclass(frozen=True)
class Route:
    path: str
    path_type: PathType
    service: str  # the fleet's name of the backend service

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
        for rule in document["spec"]["rules"]:
            for entry in rule["http"]["paths"]:
                name = entry["backend"]["service"]["name"]
                path_type = entry.get("pathType", "Prefix")
                if path_type not in ("Exact", "Prefix"):
                    raise ValueError(f"{manifest}: pathType {path_type} of {entry['path']} is not supported locally")
                routes.append(Route(entry["path"], path_type, FLEET_NAME_OF_SERVICE.get(name, name)))
    if not routes:
        raise ValueError(f"{manifest}: no Ingress paths found")
    return routes


def pick_route(routes: list[Route], request_path: str) -> Route | None:
    """The route Kubernetes would pick: the longest matching path, Exact before Prefix on a tie."""
    matching = [route for route in routes if route.matches(request_path)]
    if not matching:
        return None
    return max(matching, key=lambda route: (len(route.path.rstrip("/")), route.path_type == "Exact"))
