"""A provider that reports what it received, to prove the engine harness.

It lives in an importable module because dill pickles such classes by
reference: the server subprocess must import ``engine.toy_provider`` (tests dir
on PYTHONPATH). It keeps no global state; each call logs one line to stderr so
tests can see which blob ran even for Delete, which returns nothing.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

PROVIDER_KEY = "__provider"


def type_name(value: Any) -> str:
    return f"{type(value).__module__}.{type(value).__qualname__}"


def seen(props: dict[str, Any]) -> dict[str, str]:
    """Type of each received value, as the provider saw it (the wire can't say that on the way back)."""
    return {k: type_name(v) for k, v in props.items() if k != PROVIDER_KEY}


class Echo(ResourceProvider):
    """Echoes its inputs; behaviour is steered by the props it gets.

    ``tag`` tells blobs apart. ``token`` is dropped by ``__getstate__``, to show
    that the stored blob can be kept free of credentials.
    """

    token: str | None = None
    greeting: Any = None

    def __init__(self, tag: str = "v1", token: str | None = None) -> None:
        super().__init__()
        self.tag = tag
        self.token = token

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "token"}

    def _log(self, method: str, detail: str = "") -> None:
        print(f"echo[{self.tag}] {method} {detail}".rstrip(), file=sys.stderr)

    def configure(self, req: ConfigureRequest) -> None:
        self.greeting = req.config.get("greeting")

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        self._log("check")
        failures = [CheckFailure("bad", "must not be set")] if "bad" in news else []
        inputs = {**news, "checked_by": self.tag, "seen": seen(news), "olds_seen": seen(olds)}
        return CheckResult(inputs, failures)

    def diff(self, id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """DiffResponse has no free-form field, so ``probe`` reports types through ``replaces``."""
        self._log("diff", id)
        if news.get("probe"):
            replaces = [f"olds.{k}={t}" for k, t in seen(olds).items()]
            replaces += [f"news.{k}={t}" for k, t in seen(news).items()]
        else:
            replaces = news.get("replaces") or []
        return DiffResult(changes=news.get("changes"), replaces=replaces, delete_before_replace=news.get("dbr"))

    def create(self, props: dict[str, Any]) -> CreateResult:
        self._log("create")
        if "fail" in props:
            raise ValueError(f"create refused: {props['fail']}")
        outs = {
            **props,
            "created_by": self.tag,
            "seen": seen(props),
            "greeting": self.greeting,
            "env": os.environ.get("ECHO_ENV"),
        }
        return CreateResult(f"id-{self.tag}", outs)

    def read(self, id: str, props: dict[str, Any]) -> ReadResult:
        self._log("read", id)
        outs = {**props, "read_by": self.tag}
        inputs = {"name": props.get("name"), "refreshed": True} if props.get("with_inputs") else None
        return ReadResult(id, outs, inputs)

    def update(self, id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        self._log("update", id)
        old_tag = olds.get("created_by") or olds.get("updated_by")
        return UpdateResult({**news, "updated_by": self.tag, "old_tag": old_tag, "seen": seen(news)})

    def delete(self, id: str, props: dict[str, Any]) -> None:
        self._log("delete", id)
