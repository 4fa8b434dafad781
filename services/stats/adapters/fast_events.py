"""Lifecycle events of the current schema decoded by msgspec, several times faster than pydantic.

The msgspec types are derived from shared.events' pydantic models at import (same fields, same
constraints, unknown fields forbidden), so the contract has one definition. Whatever msgspec does
not take (an older schema version to upcast, an event it rejects, a producer that does not own
the event's type) goes through `parse_owned_event` unchanged: its result or its BadEvent, and so
what is dead-lettered and why, stays the same. The events returned answer the same attributes
as the pydantic ones (`type`, `payload.dimensions.channel`, ...) and are frozen.
"""

from __future__ import annotations

import types
import typing
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, Literal, Union
from uuid import UUID

import annotated_types
import msgspec
from pydantic import AwareDatetime, BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from shared.events import EVENT_CLASSES, EventType, owners, parse_owned_event

_PLAIN = (str, int, float, bool, UUID)
_CONSTRAINTS = {
    annotated_types.Ge: "ge",
    annotated_types.Le: "le",
    annotated_types.Gt: "gt",
    annotated_types.Lt: "lt",
    annotated_types.MinLen: "min_length",
    annotated_types.MaxLen: "max_length",
}
_structs: dict[type[BaseModel], type[msgspec.Struct]] = {}


def _meta(constraints: list[Any]) -> msgspec.Meta:
    kwargs = {}
    for c in constraints:
        if type(c) not in _CONSTRAINTS:  # a new kind of constraint must be mapped, never dropped
            raise TypeError(f"no msgspec equivalent of {c!r}")
        name = _CONSTRAINTS[type(c)]
        kwargs[name] = getattr(c, name)
    return msgspec.Meta(**kwargs)


def _type(tp: Any, constraints: list[Any] | None = None) -> Any:
    """The msgspec type of a pydantic annotation, `constraints` applied to it (or, for an optional
    one, to what it is when not null)."""
    constraints = constraints or []
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (Union, types.UnionType):
        return Union[tuple(_type(a, constraints if a is not type(None) else []) for a in args)]  # noqa: UP007
    if origin is Annotated:
        inner = [m for meta in args[1:] for m in (meta.metadata if isinstance(meta, FieldInfo) else [meta])]
        return _type(args[0], [*inner, *constraints])
    base: Any
    if tp is AwareDatetime:
        base = Annotated[datetime, msgspec.Meta(tz=True)]
    elif origin is list:
        base = list[_type(args[0])]  # type: ignore[misc]
    elif origin is Literal or tp is type(None) or tp in _PLAIN or (isinstance(tp, type) and issubclass(tp, Enum)):
        base = tp
    elif isinstance(tp, type) and issubclass(tp, BaseModel):
        base = _struct(tp)
    else:
        raise TypeError(f"no msgspec equivalent of {tp!r}")
    return Annotated[base, _meta(constraints)] if constraints else base


def _struct(model: type[BaseModel], **options: Any) -> type[msgspec.Struct]:
    """The frozen msgspec type of a pydantic model, its 'after' model validators run on decoding."""
    if model in _structs and not options:
        return _structs[model]
    decorators = model.__pydantic_decorators__
    if decorators.field_validators or decorators.field_serializers or decorators.root_validators:
        raise TypeError(f"{model.__name__}: validators other than model validators are not mapped")
    checks = [d.func for d in decorators.model_validators.values() if d.info.mode == "after"]
    if len(checks) != len(decorators.model_validators):
        raise TypeError(f"{model.__name__}: only 'after' model validators are mapped")
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for name, info in model.model_fields.items():
        if name == "type" and "tag" in options:
            continue  # the tag of a tagged union: msgspec reads it, the class answers it
        tp = _type(info.annotation, info.metadata)
        if info.default_factory is not None:
            fields.append((name, tp, msgspec.field(default_factory=info.default_factory)))  # type: ignore[arg-type]
        elif info.default is not PydanticUndefined:
            fields.append((name, tp, info.default))
        else:
            fields.append((name, tp))
    namespace: dict[str, Any] = {}
    if checks:

        def __post_init__(self: Any) -> None:
            for check in checks:
                check(self)  # a ValueError is msgspec's validation error: the pydantic path then says why

        namespace["__post_init__"] = __post_init__
    if "tag" in options:
        namespace["type"] = options["tag"]
    struct = msgspec.defstruct(
        model.__name__,
        fields,
        namespace=namespace,
        module=__name__,
        kw_only=True,
        frozen=True,
        forbid_unknown_fields=True,
        gc=False,  # no cycles in an event: the collector need not track millions of them
        **options,
    )
    if not options:
        _structs[model] = struct
    return struct


EVENT_STRUCTS = {type_: _struct(model, tag_field="type", tag=type_.value) for type_, model in EVENT_CLASSES.items()}
_DECODER = msgspec.json.Decoder(Union[tuple(EVENT_STRUCTS.values())])  # noqa: UP007 - built at run time
_OWNERS = {type_.value: owners(type_) for type_ in EventType}


def decode_owned_event(raw: bytes | str) -> Any:
    """`parse_owned_event`, with the current schema's events decoded by msgspec."""
    try:
        event = _DECODER.decode(raw)
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
        return parse_owned_event(raw)
    if event.producer not in _OWNERS[event.type]:
        return parse_owned_event(raw)  # its BadEvent, with the reason pydantic's path gives
    return event
