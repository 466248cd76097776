"""Tags as a {key: value} map, with the API's tag rules (shared by every resource)."""

from __future__ import annotations

from provider.specs._base import TAG_CHARACTERS, check_unicode_classes

__all__ = ["check_tags", "tag_list"]


def check_tags(tags: dict[str, str]) -> dict[str, str]:
    if len(tags) > 50:
        raise ValueError(f"at most 50 tags are allowed, got {len(tags)}")
    letters, extra = TAG_CHARACTERS
    extra_chars = "".join(sorted(extra))
    for key, value in tags.items():
        if not 1 <= len(key) <= 128:
            raise ValueError(f"tag key {key!r} must be 1-128 characters long")
        if key.lower().startswith("aws:"):
            raise ValueError(f"tag key {key!r}: the 'aws:' prefix is reserved for AWS")
        if len(value) > 256:
            raise ValueError(f"tag {key!r}: value must be at most 256 characters long")
        rule = f"tag {key!r}: keys and values may contain letters, numbers, spaces and {extra_chars}"
        check_unicode_classes(key, letters, extra_chars, rule)
        check_unicode_classes(value, letters, extra_chars, rule)
    return tags


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    """{key: value} -> the API's [{"Key", "Value"}], in a stable order."""
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
