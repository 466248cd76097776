"""The Java-pattern translator agrees with java.util.regex.Pattern.matches on what differs from Python's re."""

from __future__ import annotations

import botocore.session
import pytest

from sagemaker_reconciler.specs.java_patterns import UnsupportedPattern, java_matches, to_python_regex


@pytest.mark.parametrize(
    ("pattern", "value", "java"),
    [
        # matches() is the whole string, not a search
        (r"[a-z]+", "abc", True),
        (r"[a-z]+", "abc1", False),
        # `.` stops at every Java line terminator, but not at other control characters
        (".+", "a\nb", False),
        (".+", "a\rb", False),
        (".+", "a\u0085b", False),
        (".+", "a\u2028b", False),
        (".+", "a\u2029b", False),
        (".+", "line\n", False),  # what a YAML block scalar leaves at the end
        (".+", "a\tb\x0b\x0c", True),
        (".*", "", True),
        # \w \d \s are ASCII in Java; \S is everything else, non-ASCII included
        (r"\w+", "abc_09", True),
        (r"\w+", "\u00e9t\u00e9", False),
        (r"\d{3}", "123", True),
        (r"\d{3}", "\u0661\u0662\u0663", False),
        (r"\d{3}", "\uff11\uff12\uff13", False),
        (r"\s", "\x0b", True),
        (r"\s", "\u00a0", False),
        (r"\S+", "\u00e9\u4e2d", True),
        (r"[\S\s]+", "any\nthing\u2028", True),
        # Unicode general categories
        (r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+", "\u00e9quipe-\u0663\U0001f600\u0301", True),
        (r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+", "two words", False),
        (r"([\p{L}\p{Z}\p{N}_.:/=+\-@]*)", "Projet \u00e9 / 2026 +@=:", True),
        (r"([\p{L}\p{Z}\p{N}_.:/=+\-@]*)", "a;b", False),
        (r"([\p{L}\p{Z}\p{N}_.:/=+\-@]*)", "\U0001f600", False),
        (r"\p{Lu}+", "AB", True),
        (r"\p{Lu}+", "Ab", False),
        (r"\P{L}+", "123", True),
        # anchors change nothing under matches()
        (r"^(https|s3)://([^/]+)/?(.*)$", "s3://bucket/key", True),
        (r"^(https|s3)://([^/]+)/?(.*)$", "s3://bucket/key\n", False),
    ],
)
def test_java_semantics(pattern: str, value: str, java: bool) -> None:
    assert java_matches(pattern, value) is java


@pytest.mark.parametrize("pattern", [r"[a-z&&[^b]]", r"\p{Alpha}", r"(?i)abc", r"a\Qb\E", r"a$b", r"[a"])
def test_constructs_it_does_not_translate_are_refused_not_guessed(pattern: str) -> None:
    with pytest.raises(UnsupportedPattern):
        to_python_regex(pattern)


def test_every_pattern_of_the_reconciled_requests_translates() -> None:
    model = botocore.session.get_session().get_service_model("sagemaker")
    seen: set[str] = set()
    patterns: set[str] = set()

    def walk(shape: object) -> None:
        name = shape.name  # type: ignore[attr-defined]
        if name in seen:
            return
        seen.add(name)
        if "pattern" in shape.metadata:  # type: ignore[attr-defined]
            patterns.add(shape.metadata["pattern"])  # type: ignore[attr-defined]
        for child in getattr(shape, "members", {}).values():
            walk(child)
        for attr in ("member", "key", "value"):
            if hasattr(shape, attr):
                walk(getattr(shape, attr))

    for operation in (
        "CreateWorkteam",
        "UpdateWorkteam",
        "CreateCompilationJob",
        "AddTags",
        "DeleteTags",
        "DescribeWorkteam",
        "DescribeCompilationJob",
        "ListTags",
        "DeleteWorkteam",
        "StopCompilationJob",
        "DeleteCompilationJob",
        "ListCompilationJobs",
        "ListWorkteams",
    ):
        walk(model.operation_model(operation).input_shape)
    assert len(patterns) > 15
    for pattern in patterns:
        to_python_regex(pattern)  # raises on anything it cannot translate faithfully
