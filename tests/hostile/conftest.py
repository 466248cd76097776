"""The hostile-input corpus: each case runs in a child under an address-space limit (tests/hostile/child.py)."""

from __future__ import annotations

from tests.hostile.child import PEAKS


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not PEAKS:
        return
    ranked = sorted(PEAKS.items(), key=lambda item: -item[1])
    top = ", ".join(f"{name} {peak / 1024:.0f} MiB" for name, peak in ranked[:3])
    terminalreporter.write_line(f"hostile corpus: {len(PEAKS)} cases run in children; largest peak RSS: {top}")
