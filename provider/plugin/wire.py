"""Property values on the wire (google.protobuf.Struct) <-> the core's plain values.

The engine sends every number as a double, preview unknowns as sentinel strings
(one per type) and secrets as signature objects. The core wants ints back, one
UNKNOWN, and plain values; the plugin announces acceptSecrets=false, so secrets
should not arrive at all, but one that does is unwrapped rather than crashing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format, struct_pb2

from sagemaker_reconciler.plan.model import UNKNOWN
from sagemaker_reconciler.specs._base import integral_floats_to_int

__all__ = ["SECRET_SIG", "SIG_KEY", "UNKNOWN_SENTINELS", "UNKNOWN_STRING", "decode", "encode"]

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
UNKNOWN_SENTINELS = frozenset(
    {
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # bool
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
        UNKNOWN_STRING,
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
        "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
        "e48ece36-62e2-4504-bad9-02848725956a",  # archive
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
    }
)


def _from_json(value: Any) -> Any:
    if isinstance(value, str) and value in UNKNOWN_SENTINELS:
        return UNKNOWN
    if isinstance(value, Mapping):
        if value.get(SIG_KEY) == SECRET_SIG:
            return _from_json(value.get("value"))
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def decode(struct: struct_pb2.Struct | None) -> dict[str, Any]:
    """A request's Struct -> plain dict: ints restored, unknowns as the core's UNKNOWN, secrets unwrapped."""
    if struct is None:
        return {}
    return integral_floats_to_int(_from_json(json_format.MessageToDict(struct)))


def _to_json(value: Any) -> Any:
    if value is UNKNOWN:
        return UNKNOWN_STRING
    if isinstance(value, Mapping):
        return {str(k): _to_json(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    return value


def encode(props: Mapping[str, Any]) -> struct_pb2.Struct:
    """Plain dict -> Struct; None members are left out (the SDKs do the same), UNKNOWN becomes the sentinel."""
    struct = struct_pb2.Struct()
    struct.update(_to_json(props))
    return struct
