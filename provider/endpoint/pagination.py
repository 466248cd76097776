"""NextToken paging for List* operations.

Tokens are opaque to clients, as the service's are; here they carry an offset.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import TypeVar

from .exceptions import ValidationException

__all__ = ["paginate"]

Item = TypeVar("Item")

_TOKEN_PREFIX = "offset:"


def paginate(items: Sequence[Item], max_results: int, next_token: str | None) -> tuple[list[Item], str | None]:
    """One page of ``items`` and the token for the next page (None on the last page)."""
    start = _decode(next_token) if next_token else 0
    end = start + max_results
    token = _encode(end) if end < len(items) else None
    return list(items[start:end]), token


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_TOKEN_PREFIX}{offset}".encode()).decode()


def _decode(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        if text.startswith(_TOKEN_PREFIX):
            offset = int(text.removeprefix(_TOKEN_PREFIX))
            if offset >= 0:
                return offset
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ValidationException(f"Invalid pagination token: {token}")
