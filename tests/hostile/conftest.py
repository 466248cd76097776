"""The hostile-input corpus: each case runs in a child under an address-space limit (tests/hostile/child.py)."""

from __future__ import annotations

from tests.hostile.child import PEAKS


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001 - pytest's hook signature
    if not PEAKS:
        return
    name, peak = max(PEAKS.items(), key=lambda item: item[1])
    terminalreporter.write_line(
        f"hostile corpus: {len(PEAKS)} cases run in children; largest peak RSS {peak / 1024:.0f} MiB ({name})")
