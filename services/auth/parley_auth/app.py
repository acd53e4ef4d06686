"""Wiring of the auth service."""

from __future__ import annotations

import asyncio

from parley.audit import AuditLog
from parley.http_api import HttpApi
from parley.logs import get_logger
from parley.ratelimit import RateLimiter
from parley.revocations import RevocationList
from parley.runtime import Service
from parley_auth.accounts import Accounts
from parley_auth.api import AuthApi, OwnKeysVerifier
from parley_auth.endpoints import ENDPOINTS
from parley_auth.identity import IdentitySecrets, IdentityVerifier
from parley_auth.keys import SigningKeys
from parley_auth.login_limits import LoginLimits
from parley_auth.privacy import PrivacyRequests
from parley_auth.sessions import Sessions
from parley_auth.settings import AuthSettings
from parley_auth.staff_api import StaffApi

# Other replicas may rotate keys; re-reading them at least this often (and every half of the
# publication delay when that is shorter) means a new key is in this replica's JWKS before
# anyone signs with it.
KEY_RELOAD_MAX_SECONDS = 30.0

log = get_logger("parley.auth")


def build_service(settings: AuthSettings) -> Service:
    service = Service("auth", settings, uses_mongo=True, uses_redis=True)
    assert service.redis is not None
    revocations = RevocationList(service.redis, settings.redis_key_prefix)
    accounts = Accounts(service.db)
    keys = SigningKeys(
        service.db,
        publish_seconds=settings.auth_key_publish_seconds,
        token_ttl_seconds=settings.auth_access_token_ttl_seconds,
    )
    sessions = Sessions(
        service.db,
        revocations,
        access_ttl=settings.auth_access_token_ttl_seconds,
        session_ttl=settings.auth_session_ttl_seconds,
        reuse_grace=settings.auth_refresh_reuse_grace_seconds,
    )
    limits = LoginLimits(RateLimiter(service.redis, settings.redis_key_prefix), settings)
    verifier = OwnKeysVerifier(keys, revocations)
    identity_secrets = IdentitySecrets(service.db)
    identities = IdentityVerifier(identity_secrets, service.redis, settings.redis_key_prefix)
    audit = AuditLog(service.db)
    privacy = PrivacyRequests(service.db, sessions, service.bus, audit, settings)
    api = AuthApi(
        settings, accounts, keys, sessions, limits, verifier, service.bus, identities, identity_secrets, audit, privacy
    )
    staff = StaffApi(accounts, sessions, api, limits, service.bus, audit)
    service.http.add_routes(HttpApi(ENDPOINTS, verifier, api, staff).routes())

    @service.on_startup
    async def prepare() -> None:
        await accounts.create_indexes()
        await sessions.create_indexes()
        await privacy.create_indexes()
        await identity_secrets.create_indexes()
        await audit.ensure_indexes()
        await keys.load()
        admin, password = settings.auth_admin_username, settings.auth_admin_password.get_secret_value()
        if admin and password and not await accounts.exists(admin):
            await accounts.create_staff(admin, password, "admin", "Administrator")

    @service.background
    async def retention() -> None:
        while True:
            deleted = await sessions.forget_expired()
            if deleted:
                log.info("auth.expired_sessions_deleted", sessions=deleted)
            forgotten = await accounts.forget_idle_visitors(settings.auth_visitor_retention_days, sessions.any_of)
            if forgotten:
                log.info("auth.retention_forgot", visitor_accounts=forgotten)
            await asyncio.sleep(settings.auth_retention_sweep_seconds)

    service.background(privacy.run)

    @service.background
    async def reload_keys() -> None:
        interval = max(0.1, min(KEY_RELOAD_MAX_SECONDS, settings.auth_key_publish_seconds / 2))
        while True:
            await asyncio.sleep(interval)
            await keys.reload()

    return service
