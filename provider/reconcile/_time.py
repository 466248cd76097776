"""Timestamps as outputs: the one rule is ``sagemaker_reconciler.specs._time`` (the response readers use it)."""

from __future__ import annotations

from sagemaker_reconciler.specs._time import iso_time

__all__ = ["iso_time"]
