"""The base of chat_session's typed documents: a MongoDB document read into a model once, where
its store reads it, and then passed around as attributes instead of ``doc["..."]``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StoredDocument(BaseModel):
    """A document as stored: read as it is, not judged again (its write was validated), so one
    written by an older version (a field missing, or one no longer used) still loads."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)
