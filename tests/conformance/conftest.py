"""Counts what the conformance tests checked, printed at the end of the run."""

from __future__ import annotations

from collections import Counter

import pytest

_TALLY: Counter[str] = Counter()


@pytest.fixture
def conformance_tally() -> Counter[str]:
    return _TALLY


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _TALLY:
        counts = ", ".join(f"{n} {what}" for what, n in sorted(_TALLY.items()))
        terminalreporter.write_line(f"botocore conformance: {counts}")
