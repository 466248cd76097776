"""Wire facts of the SDK's dynamic-provider server, proven through the harness with the Echo toy."""

from __future__ import annotations

import grpc
import pytest
from pulumi.output import Unknown
from pulumi.runtime import rpc

from .conftest import EngineFactory
from .harness import (
    PROVIDER_KEY,
    EngineClient,
    ProviderError,
    decoded_provider_bytes,
    serialized_provider,
    without_provider,
)
from .toy_provider import Echo

FLOAT = "builtins.float"
UNKNOWN_TYPE = "pulumi.output.Unknown"


def test_ints_become_floats_and_none_keys_vanish(engine: EngineClient) -> None:
    props = {"n": 42, "gone": None, "nested": {"x": None, "y": 1}, "items": [1, None]}
    _, outs = engine.create(Echo(), props)
    assert outs["seen"] == {"n": FLOAT, "nested": "builtins.dict", "items": "builtins.list"}
    assert outs["nested"] == {"y": 1.0}  # nested None keys vanish too...
    assert outs["items"] == [1.0, None]  # ...but None inside a list survives
    assert isinstance(outs["n"], float)


def test_unknowns_reach_check_and_diff_as_unknown_objects(engine: EngineClient) -> None:
    inputs, failures = engine.check(Echo(), {}, {"u": Unknown(), "n": 1})
    assert failures == []
    assert inputs["seen"] == {"u": UNKNOWN_TYPE, "n": FLOAT}
    assert isinstance(inputs["u"], Unknown)  # and travel back from Check as the sentinel

    # The raw sentinel string is the same thing on the wire.
    diff = engine.diff(Echo(), "id-1", {"a": 1}, {"probe": True, "u": Unknown(), "s": rpc.UNKNOWN})
    assert sorted(diff.replaces) == [
        "news.probe=builtins.bool",
        f"news.s={UNKNOWN_TYPE}",
        f"news.u={UNKNOWN_TYPE}",
        f"olds.a={FLOAT}",
    ]


def test_unknowns_never_reach_create_or_update(engine: EngineClient) -> None:
    """Outside preview the server decodes the sentinel to None, so the key is dropped."""
    provider = Echo()
    id_, outs = engine.create(provider, {"u": Unknown(), "n": 1})
    assert outs["seen"] == {"n": FLOAT}
    outs = engine.update(provider, id_, outs, {"u": rpc.UNKNOWN, "n": 2})
    assert outs["seen"] == {"n": FLOAT}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [(True, "DIFF_SOME"), (False, "DIFF_NONE"), (None, "DIFF_UNKNOWN")],
)
def test_diff_changes(engine: EngineClient, changes: bool | None, expected: str) -> None:
    diff = engine.diff(Echo(), "id-1", {"a": 1}, {"changes": changes, "replaces": ["a"], "dbr": True})
    assert (diff.changes, diff.replaces, diff.delete_before_replace) == (expected, ["a"], True)


def test_check_failures(engine: EngineClient) -> None:
    _, failures = engine.check(Echo(), {}, {"bad": 1})
    assert failures == [("bad", "must not be set")]


def test_read_may_return_inputs(engine: EngineClient) -> None:
    provider = Echo()
    blob = serialized_provider(provider)
    _, _, inputs = engine.read(provider, "id-1", {"name": "a"}, inputs={"name": "a"})
    assert inputs is None
    id_, outs, inputs = engine.read(provider, "id-1", {"name": "a", "with_inputs": True})
    assert id_ == "id-1"
    assert outs["read_by"] == "v1"
    assert inputs == {"name": "a", "refreshed": True, PROVIDER_KEY: blob}


def test_provider_error_carries_its_message(engine: EngineClient) -> None:
    with pytest.raises(ProviderError, match="create refused: nope") as info:
        engine.create(Echo(), {"fail": "nope"})
    assert info.value.code == grpc.StatusCode.UNKNOWN
    assert info.value.reason == "ValueError: create refused: nope"
    assert "Traceback" in info.value.details


def test_update_runs_new_blob_and_delete_runs_the_given_one(engine: EngineClient) -> None:
    old, new = Echo("old"), Echo("new")
    id_, outs = engine.create(old, {"n": 1})
    assert outs[PROVIDER_KEY] == serialized_provider(old)

    updated = engine.update(new, id_, outs, {"n": 2})
    assert (updated["updated_by"], updated["old_tag"]) == ("new", "old")
    assert updated[PROVIDER_KEY] == serialized_provider(new)

    engine.delete(serialized_provider(old), id_, without_provider(updated))
    log = engine.stderr()
    assert "echo[old] delete id-old" in log
    assert "echo[new] delete" not in log


def test_factory_passes_env_and_config(engine_factory: EngineFactory) -> None:
    engine = engine_factory(env={"ECHO_ENV": "from-env", "PULUMI_PROJECT": "proj"}, config={"proj:greeting": "hi"})
    _, outs = engine.create(Echo(), {})
    assert (outs["env"], outs["greeting"]) == ("from-env", "hi")


def test_blob_helpers_expose_what_state_would_hold() -> None:
    blob = serialized_provider(Echo("tag-needle", token="AKIA-not-in-blob"))
    raw = decoded_provider_bytes(blob)
    assert b"tag-needle" in raw
    assert b"AKIA-not-in-blob" not in raw  # Echo.__getstate__ drops it
    assert b"engine.toy_provider" in raw  # pickled by reference: the server must import it
    assert serialized_provider(blob) == blob


def test_close_ends_the_server(engine_factory: EngineFactory) -> None:
    engine = engine_factory()
    assert engine.running
    engine.close()
    engine.close()
    assert not engine.running


def test_sdk_quirk_unknown_provider_is_not_taken_from_olds(engine: EngineClient) -> None:
    """``__main__.Check`` compares the decoded Unknown object with the sentinel string, so its
    fallback to the old blob never fires. Harmless for Python programs, whose blob is always known;
    if this test fails, the SDK has fixed it."""
    olds = {"a": 1, PROVIDER_KEY: serialized_provider(Echo())}
    with pytest.raises(ProviderError, match="not 'Unknown'"):
        engine.check(rpc.UNKNOWN, olds, {"a": 2})
