"""Staff accounts over their lifetime, served to admins: list, create, update, disable, enable,
delete, end sessions, reset a password; and a staff member's own password change.

Ending access is one path everywhere: every live session of the account is revoked (its access
tokens are refused by every service through the revocation list, its refresh tokens at once) and
``auth.token_revoked`` closes its live connections (4001), as a logout does. Disabling or
deleting also publishes ``auth.staff_withdrawn``: chat_session hands the account's open
conversations back to the queue and never assigns it again (a deleted one leaves every channel).
Every admin action is written to the audit log (``parley.audit``), readable at ``GET /auth/audit``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from parley.audit import AuditLog
from parley.bus import Bus
from parley.contracts.base import Contract
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.events import StaffRestored, StaffWithdrawn
from parley.http import error_response
from parley.http_api import Call
from parley.logs import get_logger
from parley_auth.accounts import Accounts
from parley_auth.api import AuthApi
from parley_auth.login_limits import LoginLimits, LoginRefused
from parley_auth.schemas import (
    AuditEntryView,
    AuditPage,
    AuditQuery,
    CreateStaffRequest,
    PasswordChange,
    PasswordReset,
    ResetIssued,
    SessionsEnded,
    StaffCreated,
    StaffList,
    StaffQuery,
    StaffUpdate,
    StaffView,
)
from parley_auth.sessions import Sessions

log = get_logger("parley.auth")


def staff_view(user: dict[str, Any]) -> StaffView:
    return StaffView(
        uid=user["_id"],
        username=user["username"],
        name=user["name"],
        role=user["role"],
        disabled=bool(user.get("disabled", False)),
        created_at=user["created_at"],
    )


class StaffApi:
    def __init__(
        self, accounts: Accounts, sessions: Sessions, auth: AuthApi, limits: LoginLimits, bus: Bus, audit: AuditLog
    ) -> None:
        self.accounts = accounts
        self.sessions = sessions
        self.auth = auth
        self.limits = limits
        self.bus = bus
        self.audit = audit

    # ---- admins ---------------------------------------------------------------------------------

    async def list_users(self, call: Call) -> StaffList:
        query: StaffQuery = call.query
        page = await self.accounts.list_staff(query.cursor, query.limit + 1, query.role)
        users = [staff_view(user) for user in page[: query.limit]]
        return StaffList(users=users, next_cursor=users[-1].uid if len(page) > query.limit else None)

    async def create_user(self, call: Call) -> StaffCreated:
        body: CreateStaffRequest = call.body
        user = await self.accounts.create_staff(body.username, body.password, body.role, body.name)
        await self._record(call, "staff.create", user["_id"], {"username": user["username"], "role": user["role"]})
        return StaffCreated(uid=user["_id"], username=user["username"], role=user["role"])

    async def get_user(self, call: Call) -> StaffView:
        return staff_view(await self.accounts.staff(call.param("user_id")))

    async def update_user(self, call: Call) -> StaffView:
        body: StaffUpdate = call.body
        user = await self.accounts.staff(call.param("user_id"))
        changes = body.model_dump(exclude_none=True)
        if changes.get("role", user["role"]) != user["role"]:
            await self._refuse_own_or_last_admin(call, user, "change the role of")
        updated = await self.accounts.update_staff(user["_id"], changes)
        if updated["role"] != user["role"]:  # tokens carry the role: the old ones must not keep it
            await self._end_sessions(user["_id"], "role changed")
        await self._record(call, "staff.update", user["_id"], {"fields": sorted(changes)})
        return staff_view(updated)

    async def disable_user(self, call: Call) -> StaffView:
        user = await self.accounts.staff(call.param("user_id"))
        await self._refuse_own_or_last_admin(call, user, "disable")
        updated = await self.accounts.update_staff(user["_id"], {"disabled": True})
        ended = await self._end_sessions(user["_id"], "account disabled")
        await self._publish(StaffWithdrawn(user_id=user["_id"], name=user["name"]))
        await self._record(call, "staff.disable", user["_id"], {"sessions_ended": ended})
        return staff_view(updated)

    async def enable_user(self, call: Call) -> StaffView:
        user = await self.accounts.staff(call.param("user_id"))
        updated = await self.accounts.update_staff(user["_id"], {"disabled": False})
        await self._publish(StaffRestored(user_id=user["_id"]))
        await self._record(call, "staff.enable", user["_id"], {})
        return staff_view(updated)

    async def delete_user(self, call: Call) -> None:
        user = await self.accounts.staff(call.param("user_id"))
        await self._refuse_own_or_last_admin(call, user, "delete")
        await self.accounts.delete_staff(user["_id"])
        ended = await self._end_sessions(user["_id"], "account deleted")
        await self._publish(StaffWithdrawn(user_id=user["_id"], name=user["name"], deleted=True))
        await self._record(call, "staff.delete", user["_id"], {"username": user["username"], "sessions_ended": ended})

    async def end_user_sessions(self, call: Call) -> SessionsEnded:
        user = await self.accounts.staff(call.param("user_id"))
        ended = await self._end_sessions(user["_id"], "ended by an admin", keep=_own_session(call, user))
        await self._record(call, "staff.end_sessions", user["_id"], {"sessions_ended": ended})
        return SessionsEnded(ended=ended)

    async def reset_password(self, call: Call) -> ResetIssued:
        """A one-time code; the account's sessions end (a reset is asked for a lost or leaked password)."""
        user = await self.accounts.staff(call.param("user_id"))
        code, expires_at = await self.accounts.start_reset(user["_id"])
        ended = await self._end_sessions(user["_id"], "password reset", keep=_own_session(call, user))
        await self._record(call, "staff.reset_password", user["_id"], {"sessions_ended": ended})
        return ResetIssued(code=code, expires_at=expires_at)

    async def audit_log(self, call: Call) -> AuditPage:
        query: AuditQuery = call.query
        entries = await self.audit.newest(target=query.target, action=query.action, limit=query.limit)
        return AuditPage(entries=[AuditEntryView.model_validate(entry.model_dump()) for entry in entries])

    # ---- the account's owner ------------------------------------------------------------------

    async def change_password(self, call: Call) -> None:
        """The owner, with their current password; their other sessions end (a leaked password's)."""
        body: PasswordChange = call.body
        await self.accounts.check_own_password(call.user.sub, body.current_password)
        await self.accounts.set_password(call.user.sub, body.new_password)
        await self._end_sessions(call.user.sub, "password changed", keep=call.user.sid)
        await self.audit.record(actor=call.user.sub, action="staff.change_password", target=call.user.sub)

    async def redeem_reset(self, call: Call) -> web.Response | None:
        body: PasswordReset = call.body
        try:  # the code is a secret too: guesses count against the account's login attempts
            await self.limits.attempt(call.request, f"user:{body.username.lower()}")
        except LoginRefused as refused:
            return error_response(refused.code, refused.message, headers={"Retry-After": str(refused.retry_after)})
        user = await self.accounts.redeem_reset(body.username, body.code, body.new_password)
        await self.audit.record(actor=user["_id"], action="staff.redeem_reset", target=user["_id"])
        return None

    # ---- shared -------------------------------------------------------------------------------

    async def _end_sessions(self, user_id: str, reason: str, keep: str | None = None) -> int:
        codes = await self.sessions.revoke_all(user_id, reason, keep=keep)
        for code in codes:
            await self.auth.announce_revoked(user_id, code)
        log.info("auth.sessions_ended", user_id=user_id, reason=reason, count=len(codes))
        return len(codes)

    async def _refuse_own_or_last_admin(self, call: Call, user: dict[str, Any], verb: str) -> None:
        """No admin locks themselves out, and the last enabled admin stays one."""
        if user["_id"] == call.user.sub:
            raise ParleyError(ErrorCode.BAD_ARGUMENT, f"you cannot {verb} your own account; ask another admin")
        if user["role"] == "admin" and not user.get("disabled") and await self.accounts.enabled_admins() <= 1:
            raise ParleyError(ErrorCode.BAD_ARGUMENT, f"cannot {verb} the last enabled admin")

    async def _publish(self, event: Contract) -> None:
        """Unlike a revocation's notice, this one is not optional: chat_session would keep routing
        to the account. A failure answers 503; the action is idempotent, so the admin retries."""
        await self.bus.publish_event(event)

    async def _record(self, call: Call, action: str, target: str, details: dict[str, Any]) -> None:
        await self.audit.record(actor=call.user.sub, action=action, target=target, details=details)


def _own_session(call: Call, user: dict[str, Any]) -> str | None:
    """An admin acting on their own account keeps the session they act from."""
    return call.user.sid if user["_id"] == call.user.sub else None
