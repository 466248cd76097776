"""The one escaping rule for everything printed (reports in every format, errors, notes, logs). Pure.

Text taken from input (a manifest, a model archive, a service's reply) can hold
terminal escapes (``\\x1b[31m``), carriage returns, bidi overrides, or a newline
followed by ``::error::...``, which a CI log would run as a workflow command.
So every character that is not printable (``str.isprintable``: C0/C1 controls,
DEL, format characters such as U+202E, line and paragraph separators, unusual
spaces) is shown as an escape, ``\\n``, ``\\t``, ``\\r`` or ``\\uXXXX`` (a surrogate pair past U+FFFF: the JSON
forms, so JSON output stays valid and decodes to the same text), and input never
starts an output line: one-line values are escaped whole, and multi-line messages
keep their lines but each continuation line starts with :data:`CONTINUATION`.
"""

from __future__ import annotations

__all__ = ["escape", "escape_lines", "message_lines", "CONTINUATION"]

CONTINUATION = "| "
"""Starts every continuation line of a multi-line message, so no line begins with text from input."""

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(char: str) -> str:
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # as JSON writes it: a UTF-16 surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def escape(text: object) -> str:
    """One line: every non-printable character escaped (newlines included)."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(char if char == " " or char.isprintable() else _escape_char(char) for char in text)


def escape_lines(text: str) -> str:
    """A block whose line breaks are the program's own (rendered output): everything else escaped."""
    return "\n".join(escape(line) for line in text.split("\n"))


def message_lines(text: object, indent: str = "") -> list[str]:
    """A message that may span lines (an error): each line escaped; lines after the first start with
    ``indent + CONTINUATION``, never with the message's own text."""
    first, *rest = str(text).split("\n")
    return [escape(first)] + [f"{indent}{CONTINUATION}{escape(line)}" for line in rest]
