"""docs/notification-openapi.yaml stays true: the same routes as the service, a valid example."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from parley_notification.push_api import PushApi
from parley_notification.push_payload import PushNotice
from parley_notification.subscriptions import RegisterSubscription

pytestmark = pytest.mark.unit
SPEC = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs" / "notification-openapi.yaml").read_text())


def test_documented_operations_are_the_served_routes() -> None:
    served = {(route.method.lower(), route.path) for route in PushApi(None, None, None).routes()}  # type: ignore[arg-type]
    documented = {(method, path) for path, operations in SPEC["paths"].items() for method in operations}
    assert documented == served


def test_the_registration_example_is_accepted() -> None:
    RegisterSubscription.model_validate(SPEC["components"]["schemas"]["RegisterSubscription"]["example"])


def test_the_notice_schema_names_the_payload_fields() -> None:
    assert set(SPEC["components"]["schemas"]["PushNotice"]["required"]) == set(PushNotice.model_fields)
