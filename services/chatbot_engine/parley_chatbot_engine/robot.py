"""A conversation's robot status (bm-aichat): 1 online, 2 offline (seconds since), 3 unknown.

The bot comes online when its script starts or when it greets a returning user; it goes
offline when the user is marked away or a human takes over. A "user online" from the client
while the bot is not online is answered with a greeting, except within the hold time after the
bot went offline: then it is held and honoured when the hold time is up (never dropped).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from parley.contracts.base import Model

ONLINE: Final = 1
OFFLINE: Final = 2
UNKNOWN: Final = 3
UserOnlineVerdict = Literal["already_online", "greet", "hold", "ignore"]


class RobotState(Model):
    online: bool = False
    ever_online: bool = False
    offline_at: float | None = None


@dataclass(frozen=True)
class StatusNow:
    status: Literal[1, 2, 3]
    offline_seconds: int | None


def status_of(robot: RobotState, now: float) -> StatusNow:
    if robot.online:
        return StatusNow(ONLINE, None)
    if not robot.ever_online or robot.offline_at is None:
        return StatusNow(UNKNOWN, None)
    return StatusNow(OFFLINE, max(0, int(now - robot.offline_at)))


def came_online(robot: RobotState) -> RobotState:
    return robot.model_copy(update={"online": True, "ever_online": True, "offline_at": None})


def went_offline(robot: RobotState, now: float) -> RobotState:
    if not robot.online:
        return robot
    return robot.model_copy(update={"online": False, "offline_at": now})


def on_user_online(robot: RobotState, now: float, hold_seconds: float, *, human_present: bool) -> UserOnlineVerdict:
    """What a client's "user online" asks of the bot right now."""
    if human_present:
        return "ignore"  # an operator is talking with the user: the bot does not butt in
    if robot.online:
        return "already_online"
    if robot.offline_at is not None and now - robot.offline_at < hold_seconds:
        return "hold"
    return "greet"
