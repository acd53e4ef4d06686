"""The integration tier's shared fixtures: a local JWKS key service and a revocation list
(tests/integration/key_service.py), for the token verifier and the HTTP API layer."""

from __future__ import annotations

# Explicit re-exports (the redundant alias) make them fixtures of every module of the tier.
from tests.integration.key_service import keys as keys
from tests.integration.key_service import revocations as revocations
