"""Wiring of the auth service."""

from __future__ import annotations

import asyncio

from parley.runtime import Service
from parley_auth.accounts import Accounts
from parley_auth.api import AuthApi
from parley_auth.keys import SigningKeys
from parley_auth.settings import AuthSettings

# Other replicas may rotate keys; re-reading them this often bounds how long a new key is
# unknown here (verifiers elsewhere refresh on an unknown kid by themselves).
KEY_RELOAD_SECONDS = 30.0


def build_service(settings: AuthSettings) -> Service:
    service = Service("auth", settings, uses_mongo=True)
    accounts = Accounts(service.db)
    keys = SigningKeys(service.db)
    api = AuthApi(settings, accounts, keys)
    service.http.add_routes(api.routes())

    @service.on_startup
    async def prepare() -> None:
        await accounts.create_indexes()
        await keys.load()
        admin, password = settings.auth_admin_username, settings.auth_admin_password.get_secret_value()
        if admin and password and not await accounts.exists(admin):
            await accounts.create_staff(admin, password, "admin", "Administrator")

    @service.background
    async def reload_keys() -> None:
        while True:
            await asyncio.sleep(KEY_RELOAD_SECONDS)
            await keys.load()

    return service
