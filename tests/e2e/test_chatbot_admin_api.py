"""The chatbot engine's admin API as real processes (auth issues the tokens, the engine checks
them): scripts imported and exported as YAML or JSON, the validation endpoint's rejections, FAQ
entries, and who may do what.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import yaml

from parley_chatbot_engine.load_script import example_script_files
from tests.conftest import Infra
from tests.kit.client import login
from tests.kit.fleet import ADMIN_PASSWORD, ADMIN_USERNAME, fleet_for


class Api:
    def __init__(self, session: aiohttp.ClientSession, auth_url: str, engine_url: str, token: str) -> None:
        self.session = session
        self.auth_url = auth_url
        self.url = engine_url
        self.headers = {"Authorization": f"Bearer {token}"}

    async def call(self, method: str, path: str, *, token: str | None = "admin", **kwargs: Any) -> tuple[int, Any]:
        headers = dict(kwargs.pop("headers", {}))
        if token == "admin":
            headers.update(self.headers)
        elif token is not None:
            headers["Authorization"] = f"Bearer {token}"
        async with self.session.request(method, f"{self.url}{path}", headers=headers, **kwargs) as response:
            body = await response.json() if response.content_type == "application/json" else await response.text()
            return response.status, body

    async def validate(self, document: dict[str, Any]) -> tuple[int, Any]:
        return await self.call("POST", "/chatbot/scripts/validate", json=document)


@pytest.fixture(scope="module")
async def api(infra: Infra) -> AsyncIterator[Api]:
    """auth and chatbot_engine only: the admin API needs nothing else."""
    async with (
        fleet_for(infra, "chatbot-api", services=("auth", "chatbot_engine"), own_vhost=True) as fleet,
        aiohttp.ClientSession() as session,
    ):
        admin = await login(session, fleet.url("auth"), username=ADMIN_USERNAME, password=ADMIN_PASSWORD)
        yield Api(session, fleet.url("auth"), fleet.url("chatbot_engine"), admin["token"])


def script(*steps: dict[str, Any], script_id: str = "probe") -> dict[str, Any]:
    return {"id": script_id, "name": "Probe", "steps": list(steps)}


def select(step_id: str, *answers: dict[str, Any]) -> dict[str, Any]:
    return {"id": step_id, "type": "question_selection", "text": "Pick one", "answers": list(answers)}


BROKEN = {
    "jump to a missing step": (
        script(select("q", {"id": "a", "label": "A", "then": "jump", "jump_to": "nowhere"})),
        [("steps.0.answers.0.jump_to", "jumps to a missing step 'nowhere'")],
    ),
    "a loop with no question": (
        script({"id": "a", "type": "text", "text": "x"}, {"id": "b", "type": "text", "text": "y", "jump_to": "a"}),
        [("steps.0", "these steps loop without a question, so the bot would never stop: a -> b -> a")],
    ),
    "an empty selection": (
        script(select("q")),
        [("steps.0.answers", "a question_selection step needs at least one answer")],
    ),
    "a triggering answer that does not exist": (
        script(
            select("q", {"id": "a", "label": "A"}),
            {"id": "t", "type": "text", "text": "x", "triggering_answers": ["q.b"]},
        ),
        [("steps.1.triggering_answers.0", "step 'q' has no answer 'b'")],
    ),
}


@pytest.mark.parametrize("kind", list(BROKEN))
async def test_the_validation_endpoint_rejects_each_kind_of_broken_script(api: Api, kind: str) -> None:
    document, expected = BROKEN[kind]
    status, body = await api.validate(document)
    assert status == 422 and body["valid"] is False
    assert [(problem["path"], problem["message"]) for problem in body["problems"]] == expected
    status, _ = await api.call("POST", "/chatbot/scripts", json=document)
    assert status == 422  # and it is not stored


async def test_every_problem_is_listed_and_yaml_syntax_errors_are_reported(api: Api) -> None:
    document = script(
        select("q"),
        {"id": "a", "type": "text", "text": "x", "jump_to": "gone"},
        {"id": "b", "type": "text", "text": "y", "jump_to": "b"},
    )
    status, body = await api.validate(document)
    assert status == 422 and len(body["problems"]) == 3
    status, body = await api.call(
        "POST", "/chatbot/scripts/validate", data="id: [unclosed", headers={"Content-Type": "application/yaml"}
    )
    assert status == 422 and body["problems"][0]["message"].startswith("not valid YAML")
    status, body = await api.validate(script({"id": "a", "type": "text", "text": "fine"}))
    assert (status, body) == (200, {"valid": True, "problems": []})


async def test_scripts_import_and_export_as_yaml_and_json(api: Api) -> None:
    text = example_script_files()[0].read_text()
    status, stored = await api.call("POST", "/chatbot/scripts", data=text, headers={"Content-Type": "application/yaml"})
    assert status in (200, 201), stored
    script_id = stored["id"]
    status, exported = await api.call("GET", f"/chatbot/scripts/{script_id}?format=yaml")
    assert status == 200 and yaml.safe_load(exported)["steps"] == yaml.safe_load(text)["steps"]
    status, as_json = await api.call("GET", f"/chatbot/scripts/{script_id}")
    assert status == 200 and as_json == stored
    renamed = {**as_json, "name": "Renamed"}
    assert (await api.call("PUT", f"/chatbot/scripts/{script_id}", json=renamed))[0] == 200
    assert (await api.call("PUT", "/chatbot/scripts/other-id", json=renamed))[0] == 400
    status, listed = await api.call("GET", "/chatbot/scripts")
    assert {"id": script_id, "name": "Renamed"}.items() <= next(
        s for s in listed["scripts"] if s["id"] == script_id
    ).items()
    assert (await api.call("DELETE", f"/chatbot/scripts/{script_id}"))[0] == 204
    assert (await api.call("GET", f"/chatbot/scripts/{script_id}"))[0] == 400


async def test_faq_entries_are_added_listed_and_removed(api: Api) -> None:
    channel = f"ch_{uuid.uuid4().hex[:8]}"
    status, entry = await api.call(
        "POST", f"/chatbot/channels/{channel}/faq", json={"question": "Opening hours?", "answer": "9-5"}
    )
    assert status == 201 and entry["channel_id"] == channel
    status, listed = await api.call("GET", f"/chatbot/channels/{channel}/faq")
    assert [e["id"] for e in listed["entries"]] == [entry["id"]]
    assert (await api.call("POST", f"/chatbot/channels/{channel}/faq", json={"question": "?"}))[0] == 400
    assert (await api.call("DELETE", f"/chatbot/channels/{channel}/faq/{entry['id']}"))[0] == 204
    assert (await api.call("GET", f"/chatbot/channels/{channel}/faq"))[1] == {"entries": []}


async def test_only_admins_manage_scripts(api: Api) -> None:
    assert (await api.call("GET", "/chatbot/scripts", token=None))[0] == 401
    assert (await api.call("GET", "/chatbot/scripts", token="not-a-jwt"))[0] == 401
    visitor = await login(api.session, api.auth_url, device_id=f"device-{uuid.uuid4().hex}")
    status, body = await api.call("POST", "/chatbot/scripts/validate", token=visitor["token"], json={})
    assert status == 403, body
    assert (await api.call("GET", "/chatbot/conversations/c_unknown"))[0] == 404
