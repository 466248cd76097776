"""Each Pulumi Resource class says exactly what its spec and outputs models say.

The classes spell their keyword arguments and ``Output`` attributes out (for
IDEs and type checkers), so they are a copy of the models; this keeps the copy
honest: a field added to a spec but not to the class fails here.
"""

from __future__ import annotations

import inspect
import sys
import types
import typing
from collections.abc import Awaitable
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pulumi
import pytest
from pydantic import BaseModel

from sagemaker_reconciler.registry import entries
from sagemaker_reconciler.resource_types import RESOURCE_TYPES, ResourceType

NOT_PROPERTIES = {"resource_name", "opts", "provider_config"}
CASES = [pytest.param(entry.kind, entry.resource_class(), id=entry.kind.name) for entry in entries()]


def test_every_shipped_type_has_a_registry_entry_and_its_classes_name_it():
    assert tuple(entry.kind for entry in entries()) == RESOURCE_TYPES
    for entry in entries():
        provider = entry.provider_class()
        assert provider.KIND is entry.kind
        assert entry.resource_class().__module__ == provider.__module__  # dill pickles the provider by module path


def name_field(kind: ResourceType) -> str:
    (name,) = [n for n, f in kind.spec_model.model_fields.items() if (f.alias or n) == kind.name_property]
    return name


def shape(annotation: Any) -> Any:
    """What a value of this annotation looks like on the wire: str, bool, int, float, list or dict."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return shape(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        # pulumi.Input[T] is Union[T, Awaitable[T], Output[T]]: T is the plain value
        plain = [
            a
            for a in options
            if not isinstance(a, typing.ForwardRef) and get_origin(a) not in (pulumi.Output, Awaitable)
        ]
        assert len({shape(a) for a in plain}) == 1, annotation
        return shape(plain[0])
    if origin is pulumi.Output:
        return shape(get_args(annotation)[0])
    if origin is Literal:
        return type(get_args(annotation)[0])
    if origin in (tuple, list) or annotation in (tuple, list):
        return list
    if origin is dict or annotation is dict or (inspect.isclass(annotation) and issubclass(annotation, BaseModel)):
        return dict
    return annotation


def annotations(cls: type, of: Any) -> dict[str, Any]:
    """``of``'s own annotations, evaluated in the class's module (``from __future__ import annotations``)."""
    namespace = vars(sys.modules[cls.__module__])
    return {
        n: eval(a, namespace) if isinstance(a, str) else a for n, a in of.__dict__.get("__annotations__", {}).items()
    }


def keyword_arguments(cls: type) -> dict[str, inspect.Parameter]:
    params = inspect.signature(cls.__init__).parameters
    return {n: p for n, p in params.items() if p.kind is p.KEYWORD_ONLY and n not in NOT_PROPERTIES}


@pytest.mark.parametrize(("kind", "cls"), CASES)
def test_keyword_arguments_are_the_spec_fields(kind: ResourceType, cls: type) -> None:
    kwargs = keyword_arguments(cls)
    fields = kind.spec_model.model_fields
    assert set(kwargs) == set(fields), "the Resource class and the spec model disagree on the inputs"

    required = {n for n, p in kwargs.items() if p.default is inspect.Parameter.empty}
    # the name is required by the spec but optional here: omitted, it is <resource name>-<random>
    assert required == {n for n, f in fields.items() if f.is_required()} - {name_field(kind)}

    hints = {
        n: eval(a, vars(sys.modules[cls.__module__])) if isinstance(a, str) else a
        for n, a in cls.__init__.__annotations__.items()
    }
    for name, field in fields.items():
        assert shape(hints[name]) is shape(field.annotation), (
            f"{cls.__name__}({name}=...) vs {kind.spec_model.__name__}.{name}"
        )


@pytest.mark.parametrize(("kind", "cls"), CASES)
def test_output_attributes_are_the_outputs_model_and_the_name(kind: ResourceType, cls: type) -> None:
    own = annotations(cls, cls)
    fields = kind.outputs_model.model_fields
    assert set(own) == set(fields) | {name_field(kind)}, "the Resource class and the outputs model disagree"
    for name, annotation in own.items():
        assert get_origin(annotation) is pulumi.Output, name
        model_annotation = fields[name].annotation if name in fields else kind.spec_model.model_fields[name].annotation
        assert shape(annotation) is shape(model_annotation), f"{cls.__name__}.{name}"


class _Recorder(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.inputs: list[dict[str, Any]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.inputs.append(dict(args.inputs))
        return args.name + "_id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


SAMPLES = {str: "v", bool: True, int: 7, float: 1.5, list: ["item"], dict: {"key": "value"}}


@pytest.mark.parametrize(("kind", "cls"), CASES)
def test_every_keyword_argument_reaches_the_engine_under_its_wire_name(kind: ResourceType, cls: type) -> None:
    recorder = _Recorder()
    pulumi.runtime.set_mocks(recorder, preview=False)
    fields = kind.spec_model.model_fields
    values = {name: SAMPLES[shape(field.annotation)] for name, field in fields.items()}

    @pulumi.runtime.test
    def register() -> pulumi.Output[Any]:
        resource = cls("res", **values)
        return pulumi.Output.all(resource.urn)

    register()
    (registered,) = recorder.inputs
    for name, field in fields.items():
        assert registered.get(field.alias or name) == values[name], f"{cls.__name__}({name}=...) was not registered"
