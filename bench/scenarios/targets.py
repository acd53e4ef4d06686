"""What a scenario runs against: Parley's gateway, the aiohttp floor or Centrifugo."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Target:
    name: str
    ws_url: str
    pid: int  # the process holding the sockets, whose RSS and CPU are measured
    dialect: str
    # Credentials for n links (Centrifugo JWTs, anything for the floor); None: Parley visitor logins.
    credentials: Callable[[int, str], list[str]] | None = None
    # Name of the measured process in the report ("gateway" for Parley).
    process: str = ""
    # Other processes whose CPU is reported beside the target's (Parley's other services).
    companions: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.process = self.process or self.name


def shares(total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` nearly equal whole shares."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]
