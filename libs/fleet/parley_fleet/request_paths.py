"""One reading of a request path before it is routed, so the edge routes the path the backend
will serve: ``/console/../metrics`` is ``/metrics`` to aiohttp behind the edge, so the edge must
see ``/metrics`` too (and find no route for it) rather than route by the ``/console`` prefix.

The path is percent-decoded once, repeated slashes are merged (as nginx's ``merge_slashes``
does) and ``.``/``..`` segments are resolved (RFC 3986 5.2.4). What a backend might still read
two ways is refused instead: an encoded slash (one segment or two?), a backslash (a separator to
some servers), an encoded percent sign (decoded again by some), a control character, and a
``..`` above the root.
"""

from __future__ import annotations

from urllib.parse import quote, unquote_to_bytes

# Characters a path keeps unencoded when it is forwarded (RFC 3986 pchar and "/").
PATH_SAFE = "/:@!$&'()*+,;=-._~"


class AmbiguousPath(ValueError):
    """A path the edge refuses (400): it could mean different things to different servers."""


def normalise_path(raw_path: str) -> str:
    """The decoded, normalised form of ``raw_path`` (no query string), or AmbiguousPath."""
    if not raw_path.startswith("/"):
        raise AmbiguousPath("the path must start with /")
    lowered = raw_path.lower()
    for encoded, what in (
        ("%2f", "an encoded slash"),
        ("%5c", "an encoded backslash"),
        ("%25", "an encoded percent sign"),
    ):
        if encoded in lowered:
            raise AmbiguousPath(f"{what} in the path")
    try:
        decoded = unquote_to_bytes(raw_path).decode("utf-8")
    except UnicodeDecodeError:
        raise AmbiguousPath("the path is not UTF-8 once decoded") from None
    if "\\" in decoded:
        raise AmbiguousPath("a backslash in the path")
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in decoded):
        raise AmbiguousPath("a control character in the path")
    segments: list[str] = []
    for segment in decoded.split("/")[1:]:
        if segment == "..":
            if not segments:
                raise AmbiguousPath("the path climbs above the root")
            segments.pop()
        elif segment not in ("", "."):
            segments.append(segment)
    trailing = "/" if decoded.endswith(("/", "/.", "/..")) and segments else ""
    return "/" + "/".join(segments) + trailing


def forwardable(path: str) -> str:
    """``path`` (as normalise_path gives it) encoded again for the request line."""
    return quote(path, safe=PATH_SAFE)
