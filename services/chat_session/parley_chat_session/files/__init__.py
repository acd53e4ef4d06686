"""Attachments: uploads streamed to storage, sniffed, checked, scanned, attached to messages once,
downloaded through short-lived signed links. See docs/attachments.md."""
