"""The tag rules SageMaker enforces beyond the service model: the per-resource cap and reserved keys."""

from __future__ import annotations

from typing import Any

from .exceptions import ValidationException

__all__ = ["MAX_TAGS_PER_RESOURCE", "check_tags_to_add"]

MAX_TAGS_PER_RESOURCE = 50
"""Tags per resource; a key already on the resource is overwritten, so it does not count twice."""


def check_tags_to_add(existing: list[dict[str, Any]], new: list[dict[str, Any]]) -> None:
    """Refuse `aws:` keys and a resource that would end up with more than 50 tags; nothing is added then."""
    reserved = sorted({tag["Key"] for tag in new if tag["Key"].lower().startswith("aws:")})
    if reserved:
        raise ValidationException(
            f"Tag keys starting with 'aws:' are reserved for AWS use and cannot be added: {', '.join(reserved)}."
        )
    keys = {tag["Key"] for tag in existing} | {tag["Key"] for tag in new}
    if len(keys) > MAX_TAGS_PER_RESOURCE:
        raise ValidationException(
            f"A resource can have at most {MAX_TAGS_PER_RESOURCE} tags; adding these would give it {len(keys)}."
        )
