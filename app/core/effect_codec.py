"""Effects to JSON and back, exactly: an effect list stored before acting is carried out later as decided."""
from __future__ import annotations

import dataclasses
import importlib
import json
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from pydantic import BaseModel

from app.core import effects as fx


class NotStorable(TypeError):
    """A value in an effect that this codec cannot store and give back unchanged."""


def _where(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _core_class(name: str) -> type:
    # Only the core's own classes are ever rebuilt from stored text.
    module, _, qualname = name.partition(":")
    if not module.startswith("app.core.") or "." in qualname:
        raise NotStorable(f"not a core class: {name}")
    return getattr(importlib.import_module(module), qualname)


def _enc(value: Any) -> Any:
    if isinstance(value, Enum):  # first: a str enum is a str too, and must come back as the enum
        return {"$enum": _where(type(value)), "value": value.value}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, fx.Effect):
        return {"$effect": type(value).__name__,
                "fields": {f.name: _enc(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, timedelta):
        return {"$timedelta": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, BaseModel):
        return {"$model": _where(type(value)), "data": value.model_dump(mode="json")}
    if isinstance(value, tuple):
        return {"$tuple": [_enc(v) for v in value]}
    if isinstance(value, list):
        return [_enc(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"$dict": {k: _enc(v) for k, v in value.items()}}
    raise NotStorable(f"cannot store a {type(value).__name__} in an effect")


def _dec(value: Any) -> Any:
    if isinstance(value, list):
        return [_dec(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "$effect" in value:
        cls = getattr(fx, value["$effect"], None)
        if not (isinstance(cls, type) and issubclass(cls, fx.Effect)):
            raise NotStorable(f"not an effect: {value['$effect']}")
        return cls(**{k: _dec(v) for k, v in value["fields"].items()})
    if "$enum" in value:
        return _core_class(value["$enum"])(_dec(value["value"]))
    if "$datetime" in value:
        return datetime.fromisoformat(value["$datetime"])
    if "$timedelta" in value:
        days, seconds, micros = value["$timedelta"]
        return timedelta(days=days, seconds=seconds, microseconds=micros)
    if "$model" in value:
        return _core_class(value["$model"]).model_validate(value["data"])
    if "$tuple" in value:
        return tuple(_dec(v) for v in value["$tuple"])
    if "$dict" in value:
        return {k: _dec(v) for k, v in value["$dict"].items()}
    raise NotStorable("an untagged object in stored effects")


def dumps(effects: tuple[fx.Effect, ...]) -> str:
    """The effects as JSON; refused (NotStorable) unless reading it back gives the very same effects,
    types included (a str enum equals its str, so equality alone would not tell)."""
    text = json.dumps([_enc(effect) for effect in effects], separators=(",", ":"))
    if _typed(loads(text)) != _typed(effects):
        raise NotStorable("the effects do not read back unchanged")
    return text


def _typed(value: Any) -> Any:
    """The value with every part's type beside it, to compare two values type for type."""
    if isinstance(value, fx.Effect):
        value = tuple((f.name, getattr(value, f.name)) for f in dataclasses.fields(value)) + (type(value),)
    if isinstance(value, dict):
        return (dict, tuple((k, _typed(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple, frozenset)):
        return (type(value), tuple(_typed(v) for v in value))
    return (type(value), value)


def loads(text: str) -> tuple[fx.Effect, ...]:
    return tuple(_dec(item) for item in json.loads(text))
