"""notification's part of an erase or export request (docs/privacy.md): the person's push
subscriptions (their devices' push endpoints and keys). Unread counts waiting to become pushes
live in Redis and go with the Redis part. Deleting finds nothing the second time: safe to repeat."""

from __future__ import annotations

from parley.bus import Bus
from parley.contracts.base import Envelope
from parley.contracts.privacy import EraseNotificationData, ExportNotificationData, PartErased, PartExported
from parley.logs import get_logger
from parley.stores import MongoDatabase

log = get_logger("parley.notification")


def register_privacy(bus: Bus, db: MongoDatabase) -> None:
    """Serve ``notification.privacy_erase`` and ``notification.privacy_export`` on the bus."""
    subscriptions = db["push_subscriptions"]

    async def on_erase(command: EraseNotificationData, _envelope: Envelope) -> PartErased:
        deleted = await subscriptions.delete_many({"user_id": command.subject.user_id})
        log.info(
            "notification.privacy_erased",
            request_id=command.subject.request_id,
            push_subscriptions=deleted.deleted_count,
        )
        return PartErased(erased={"push_subscriptions": deleted.deleted_count})

    async def on_export(command: ExportNotificationData, _envelope: Envelope) -> PartExported:
        devices = [
            {
                "device_id": doc.get("device_id"),
                "endpoint": doc.get("endpoint"),
                "created_at": doc["created_at"].isoformat() if doc.get("created_at") else None,
                "updated_at": doc["updated_at"].isoformat() if doc.get("updated_at") else None,
            }
            async for doc in subscriptions.find({"user_id": command.subject.user_id})
        ]
        return PartExported(items={"push_subscriptions": devices})

    bus.on_command(EraseNotificationData, on_erase)
    bus.on_command(ExportNotificationData, on_export)
