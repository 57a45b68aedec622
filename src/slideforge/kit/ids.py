"""UUIDs for every id; lenient parsing of ids that clients send (untrimmed, any case)."""

from __future__ import annotations

import uuid


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def parse_id(raw: object) -> uuid.UUID | None:
    """The UUID in ``raw`` (whitespace trimmed, any case), or None if it is not one."""
    if isinstance(raw, uuid.UUID):
        return raw
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if len(text) not in (32, 36):
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def split_list(raw: str | None) -> list[str]:
    """``"a, b,,c"`` -> ``["a", "b", "c"]`` (comma lists arrive raw in query strings)."""
    if not raw:
        return []
    return [part.strip() for part in raw.split(",") if part.strip()]
