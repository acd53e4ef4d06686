"""Every contract Parley's services and clients exchange, in one versioned package.

Importing this package registers every bus contract, so an :class:`Envelope` can be opened
anywhere.
"""

# Imported for their effect: each module registers its contracts in REGISTRY.
from parley.contracts import agents, commands, events, frames, integrations, privacy
from parley.contracts.base import REGISTRY, Contract, Envelope, Model, UnknownContract, contract
from parley.contracts.errors import CloseCode, ErrorCode, ParleyError

__all__ = [
    "REGISTRY",
    "CloseCode",
    "Contract",
    "Envelope",
    "ErrorCode",
    "Model",
    "ParleyError",
    "UnknownContract",
    "agents",
    "commands",
    "contract",
    "events",
    "frames",
    "integrations",
    "privacy",
]
