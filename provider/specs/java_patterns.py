"""The service model's regular expressions, matched the way AWS matches them.

AWS checks a member against its pattern as Java's ``Pattern.matches`` does:
the whole string must match, ``.`` matches anything but a line terminator
(``\\n``, ``\\r``, ``\\u0085``, ``\\u2028``, ``\\u2029``), and ``\\w``, ``\\d``,
``\\s`` are ASCII classes. Python's ``re`` differs on all three (``search``,
``.`` excludes only ``\\n``, Unicode ``\\w``/``\\d``) and has no ``\\p{..}``
Unicode-category classes, so :func:`java_matcher` translates a Java pattern
into an equivalent ``re`` pattern once, and both the spec models and the
embedded endpoint match through it. A construct it does not translate raises
:class:`UnsupportedPattern`, so a new pattern in the API model fails a test
instead of being matched wrongly.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable

__all__ = ["UnsupportedPattern", "java_matcher", "java_matches", "to_python_regex", "LINE_TERMINATORS"]

LINE_TERMINATORS = "\n\r\u0085\u2028\u2029"
"""What Java's ``.`` does not match (without DOTALL)."""

_DOT = "[^" + "".join(f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}" for c in LINE_TERMINATORS) + "]"
_PROPERTY = re.compile(r"\\([pP])\{(?:Is)?([A-Z][a-z]?)\}")


class UnsupportedPattern(ValueError):
    """A Java regex construct this translator does not handle."""


def java_matches(pattern: str, value: str) -> bool:
    """True if ``value`` matches ``pattern`` as ``java.util.regex.Pattern.matches`` would decide."""
    return java_matcher(pattern)(value)


@functools.cache
def java_matcher(pattern: str) -> Callable[[str], bool]:
    """A whole-string predicate with Java's semantics for ``pattern`` (compiled once)."""
    compiled = re.compile(to_python_regex(pattern), re.ASCII)
    return lambda value: compiled.fullmatch(value) is not None


def to_python_regex(pattern: str) -> str:
    """Rewrite a Java pattern so that ``re.fullmatch(.., flags=re.ASCII)`` agrees with ``Pattern.matches``.

    ``re.ASCII`` gives ``\\w``/``\\d``/``\\s`` (and their negations) Java's ASCII meaning; ``.``
    becomes a class without the line terminators; ``\\p{X}``/``\\p{Xy}`` (general categories)
    become explicit code point ranges.
    """
    # Pattern.matches anchors the whole string, so a leading ^ and a trailing $ change nothing.
    pattern = pattern.removeprefix("^")
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1]
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            prop = _PROPERTY.match(pattern, i)
            if prop:
                negated, category = prop.group(1) == "P", prop.group(2)
                ranges = _category_ranges(category)
                if in_class:
                    if negated:
                        raise UnsupportedPattern(f"\\P{{..}} inside a class: {pattern}")
                    out.append(ranges)
                else:
                    out.append(f"[{'^' if negated else ''}{ranges}]")
                i = prop.end()
                continue
            escape = pattern[i : i + 2]
            if escape[1:] in ("p", "P", "Q", "E", "G", "R", "X", "h", "H", "v", "V", "k", "N"):
                raise UnsupportedPattern(f"{escape} in {pattern}")
            out.append(escape)
            i += 2
            continue
        if in_class:
            if char == "[" or pattern.startswith("&&", i):
                raise UnsupportedPattern(f"nested class or class intersection in {pattern}")
            if char == "]" and not _class_just_opened(out):
                in_class = False
            out.append(char)
        elif char == "[":
            in_class = True
            out.append(char)
            if pattern.startswith("^", i + 1):
                out.append("^")
                i += 1
            if pattern.startswith("]", i + 1):  # a leading ] is a literal in both dialects
                out.append("\\]")
                i += 1
        elif char == ".":
            out.append(_DOT)
        elif char == "(" and pattern.startswith("(?", i) and not pattern.startswith(("(?:", "(?=", "(?!"), i):
            raise UnsupportedPattern(f"group construct in {pattern}")
        elif char in "$^":
            raise UnsupportedPattern(f"anchor {char!r} inside {pattern}")
        else:
            out.append(char)
        i += 1
    if in_class:
        raise UnsupportedPattern(f"unterminated class in {pattern}")
    return "".join(out)


def _class_just_opened(out: list[str]) -> bool:
    return bool(out) and (out[-1] == "[" or out[-1] == "^" and len(out) > 1 and out[-2] == "[")


# Planes 4-13 hold no assigned characters and 15-16 are private use (category Co), so the
# scan covers planes 0-3 and 14: ~0.1 s once per process instead of ~0.3 s for all 17.
_SCANNED = (range(0x40000), range(0xE0000, 0xF0000))


@functools.cache
def _category_ranges(category: str) -> str:
    """``L`` or ``Lu`` -> the ``re`` class body of every code point in that general category."""
    runs = sorted(run for name, found in _runs_by_category().items() if name.startswith(category) for run in found)
    if not runs:
        raise UnsupportedPattern(f"unknown Unicode category {category!r}")
    return "".join(_escape(a) if a == b else f"{_escape(a)}-{_escape(b)}" for a, b in runs)


@functools.cache
def _runs_by_category() -> dict[str, list[tuple[int, int]]]:
    """Two-letter general category -> its runs of consecutive code points (one scan)."""
    runs: dict[str, list[tuple[int, int]]] = {}
    category = unicodedata.category
    for block in _SCANNED:
        current, start = None, block[0]
        for cp in block:
            name = category(chr(cp))
            if name != current:
                if current is not None:
                    runs.setdefault(current, []).append((start, cp - 1))
                current, start = name, cp
        if current is not None:
            runs.setdefault(current, []).append((start, block[-1]))
    return runs


def _escape(code_point: int) -> str:
    return f"\\U{code_point:08x}" if code_point > 0xFFFF else f"\\u{code_point:04x}"
