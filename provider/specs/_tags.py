"""Tags as a {key: value} map, with the API's tag rules (shared by every resource)."""

from __future__ import annotations

from sagemaker_reconciler.specs._base import TAG_CHARACTERS
from sagemaker_reconciler.specs.java_patterns import java_matches

__all__ = ["check_tags", "tag_list"]


def check_tags(tags: dict[str, str]) -> dict[str, str]:
    """Every broken tag rule at once, so one edit fixes them all."""
    problems = [f"at most 50 tags are allowed, got {len(tags)}"] if len(tags) > 50 else []
    for key, value in tags.items():
        problems.extend(_tag_problems(key, value))
    if problems:
        raise ValueError("; ".join(problems))
    return tags


def _tag_problems(key: str, value: str) -> list[str]:
    found = []
    if not 1 <= len(key) <= 128:
        found.append(f"tag key {key!r} must be 1-128 characters long")
    if key.lower().startswith("aws:"):
        found.append(f"tag key {key!r}: the 'aws:' prefix is reserved for AWS")
    if len(value) > 256:
        found.append(f"tag {key!r}: value must be at most 256 characters long")
    if not (java_matches(TAG_CHARACTERS, key) and java_matches(TAG_CHARACTERS, value)):
        found.append(f"tag {key!r}: keys and values may contain letters, numbers, spaces and _.:/=+-@")
    return found


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    """{key: value} -> the API's [{"Key", "Value"}], in a stable order."""
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
