"""The service model's regular expressions, matched the way the service matches them.

AWS checks a member against its whole pattern (Java ``Pattern.matches``), so we
use ``fullmatch``; Java's ``\\w`` is ASCII-only, hence ``re.ASCII``. Python's
``re`` has no ``\\p{..}`` classes: the one form the models use, a single
bracket class of major Unicode categories plus literal characters with ``*`` or
``+`` (``[\\p{L}\\p{N}_.:/=+\\-@]*``), is checked with ``unicodedata``; any other
``\\p{..}`` pattern is not checked at all.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable

__all__ = ["pattern_matcher"]

Matcher = Callable[[str], bool]

_CATEGORY_CLASS = re.compile(r"\(?\[((?:\\p\{[A-Z]\}|\\.|[^\]\\])+)\]([*+])\)?")
_MAJOR_CATEGORY = re.compile(r"\\p\{([A-Z])\}")


@functools.cache
def pattern_matcher(pattern: str) -> Matcher | None:
    """A predicate for ``pattern``, or None when it cannot be checked in Python."""
    if r"\p{" not in pattern:
        compiled = re.compile(pattern, re.ASCII)
        return lambda value: compiled.fullmatch(value) is not None
    category_class = _CATEGORY_CLASS.fullmatch(pattern)
    if category_class is None:
        return None
    body, quantifier = category_class.groups()
    categories = frozenset(_MAJOR_CATEGORY.findall(body))
    literals = _MAJOR_CATEGORY.sub("", body)
    literal_class = re.compile(f"[{literals}]") if literals else None

    def allowed(char: str) -> bool:
        if unicodedata.category(char)[0] in categories:
            return True
        return literal_class is not None and literal_class.fullmatch(char) is not None

    return lambda value: (quantifier == "*" or value != "") and all(map(allowed, value))
