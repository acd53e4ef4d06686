"""Server-to-client WebSocket frames encoded once, for writing the same bytes to many sockets.

aiohttp's ``send_str`` encodes the text and builds the frame header again for every socket; a
frame fanned out to a thousand sockets of a conversation's watchers is the same bytes each time
(the server never masks, and Parley declines permessage-deflate), so the gateway builds it once
here and writes it straight to each socket's transport (parley_gateway.connections).
"""

from __future__ import annotations

import struct

# RFC 6455 §5.2: FIN set, opcode 1 (text). A server's frames are never masked.
_FIN_TEXT = 0x81
_SHORT_LIMIT = 126  # lengths below this fit the 7-bit field
_MEDIUM_LIMIT = 1 << 16  # below this, 126 and a 16-bit length; else 127 and a 64-bit length


def text_frame(payload: bytes) -> bytes:
    """One unmasked, unfragmented, uncompressed text frame carrying ``payload`` (UTF-8 JSON)."""
    length = len(payload)
    if length < _SHORT_LIMIT:
        header = struct.pack("!BB", _FIN_TEXT, length)
    elif length < _MEDIUM_LIMIT:
        header = struct.pack("!BBH", _FIN_TEXT, 126, length)
    else:
        header = struct.pack("!BBQ", _FIN_TEXT, 127, length)
    return header + payload
