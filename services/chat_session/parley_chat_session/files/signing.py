"""Download links: a path and a query signed with HMAC-SHA256 under the server's secret.

A link names the file, the variant (the original or its thumbnail), whom it was issued to (user,
role and login session) and when it expires. The service checks the signature, the expiry, that
the session was not revoked since, and that the user may still read the conversation: a link
handed to someone else works only as long as its holder's access, and only minutes.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlencode

from parley.contracts.errors import ErrorCode, ParleyError

Variant = Literal["original", "thumbnail"]


@dataclass(frozen=True)
class LinkGrant:
    """What a link lets its holder fetch, and on whose behalf."""

    conversation_id: str
    file_id: str
    variant: Variant
    user_id: str
    role: str
    session: str
    expires: int  # unix seconds

    def message(self) -> bytes:
        fields = (self.conversation_id, self.file_id, self.variant, self.user_id, self.role, self.session)
        return ("v1|" + "|".join(fields) + f"|{self.expires}").encode()

    @property
    def path(self) -> str:
        base = f"/files/{self.conversation_id}/{self.file_id}"
        return base + "/thumbnail" if self.variant == "thumbnail" else base


class LinkSigner:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _signature(self, grant: LinkGrant) -> str:
        return hmac.new(self._secret, grant.message(), hashlib.sha256).hexdigest()

    def path_and_query(self, grant: LinkGrant) -> str:
        query = {"u": grant.user_id, "r": grant.role, "s": grant.session, "e": grant.expires}
        return f"{grant.path}?{urlencode({**query, 'sig': self._signature(grant)})}"

    def verify(
        self, conversation_id: str, file_id: str, variant: Variant, query: dict[str, str], now: float
    ) -> LinkGrant:
        """The grant of a presented link; LINK_INVALID when a part is missing or the signature is
        not ours, LINK_EXPIRED when it was ours but its time is up (checked after the signature:
        an attacker learns nothing from changing the expiry)."""
        try:
            grant = LinkGrant(conversation_id, file_id, variant, query["u"], query["r"], query["s"], int(query["e"]))
            signature = query["sig"]
        except (KeyError, ValueError):
            raise ParleyError(ErrorCode.LINK_INVALID, "this is not a download link: ask for a new one") from None
        if not hmac.compare_digest(self._signature(grant), signature):
            raise ParleyError(ErrorCode.LINK_INVALID, "this download link is not valid: ask for a new one")
        if grant.expires < now:
            raise ParleyError(ErrorCode.LINK_EXPIRED, "this download link has expired: ask for a new one")
        return grant
