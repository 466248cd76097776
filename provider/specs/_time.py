"""Timestamps as outputs: the API's datetimes become ISO 8601 strings (state holds JSON). Pure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

__all__ = ["iso_time"]


def iso_time(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else ("" if value is None else str(value))
