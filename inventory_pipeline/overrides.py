"""Per-run overrides of a config dataclass, derived from its fields so each is declared once.

A run's config may change some fields of a plain config dataclass (the reorder policy, the
training run) for that run only. Its fields are built here from the dataclass's own: the same
names and types, each optional (empty: the value the pipeline would use), each described by the
comment written next to the field in the dataclass, the one place its meaning is stated. A new
field of the dataclass is then a new run-config field with no second declaration to keep in step.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import io
import textwrap
import tokenize
import types
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

import pydantic

_NOT_DESCRIPTIONS = ("---", "fmt:", "noqa", "type:")  # section rules and tool pragmas


def field_comments(cls: type) -> dict[str, str]:
    """Each field's comment in ``cls``'s source: the text after ``#`` on the field's lines and on
    the comment lines that follow it, up to the next statement of the class body."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):  # no source shipped: the fields stay undescribed
        return {}
    comments: dict[int, str] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        text = token.string.lstrip("#").strip()
        if token.type == tokenize.COMMENT and not text.startswith(_NOT_DESCRIPTIONS):
            comments[token.start[0]] = text
    body = ast.parse(source).body[0]
    assert isinstance(body, ast.ClassDef)
    statements = body.body
    ends = [node.lineno for node in statements[1:]] + [len(source.splitlines()) + 1]
    found: dict[str, str] = {}
    for node, end in zip(statements, ends, strict=True):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            lines = range(node.lineno, end)
            found[node.target.id] = " ".join(comments[n] for n in lines if n in comments)
    return found


def _run_config_type(hint: Any) -> Any:
    """The run-config type of a field typed ``hint``: tuples become lists and choices text, the
    types a run config (YAML, the UI) can hold."""
    origin, args = get_origin(hint), get_args(hint)
    if origin is Literal:
        return type(args[0])
    if origin in (Union, types.UnionType):
        (inner,) = [a for a in args if a is not type(None)]
        return _run_config_type(inner)
    if origin is tuple:
        return list[_run_config_type(args[0])]  # type: ignore[misc]
    if origin in (dict, Mapping):
        return dict[args[0], _run_config_type(args[1])]  # type: ignore[valid-type]
    return hint


def optional_fields(cls: type, names: Sequence[str] | None = None) -> dict[str, Any]:
    """``cls``'s fields ``names`` (default: all) as optional pydantic fields, for
    ``pydantic.create_model``: the same name and type, None by default, the field's comment as
    its description."""
    hints = get_type_hints(cls)
    comments = field_comments(cls)
    known = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(names or ()) - set(known))
    if unknown:
        raise ValueError(f"{cls.__name__} has no fields {unknown}; its fields: {known}")
    return {
        name: (
            _run_config_type(hints[name]) | None,
            pydantic.Field(None, description=comments.get(name) or None),
        )
        for name in (names or known)
    }


def given(run_config: pydantic.BaseModel, cls: type) -> dict[str, Any]:
    """The fields of ``cls`` this run config sets (not None), as ``cls`` holds them: a list
    becomes a tuple where the field is a tuple, a mapping a new dict."""
    hints = get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        value = getattr(run_config, f.name, None)
        if value is None:
            continue
        hint = hints[f.name]
        tuple_typed = get_origin(hint) is tuple or any(
            get_origin(a) is tuple for a in get_args(hint)
        )
        if isinstance(value, list) and tuple_typed:
            value = tuple(value)
        elif isinstance(value, Mapping):
            value = dict(value)
        values[f.name] = value
    return values
