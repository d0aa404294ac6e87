"""Read YAML files into validated models, with errors that name file, key path and line."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from rig.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def key_lines(text: str) -> dict[str, int]:
    """Map dotted key paths (list items as indices) to 1-based line numbers."""
    lines: dict[str, int] = {}

    def walk(node: yaml.Node, prefix: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                path = f"{prefix}{key_node.value}"
                lines[path] = key_node.start_mark.line + 1
                walk(value_node, path + ".")
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[f"{prefix}{i}"] = item.start_mark.line + 1
                walk(item, f"{prefix}{i}.")

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return lines
    if root is not None:
        walk(root, "")
    return lines


def read_yaml(path: str | Path) -> tuple[Any, dict[str, int]]:
    """Parse a YAML file; a missing file or a syntax error is a :class:`ConfigError`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), "<file>", f"a readable file ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(
            str(path), "<file>", f"valid YAML ({problem})", mark.line + 1 if mark else None
        ) from None
    return data, key_lines(text)


def describe_error(err: dict[str, Any], model: type[BaseModel]) -> tuple[str, str]:
    """(dotted key path, what was expected) of one pydantic error."""
    loc = [str(p) for p in err.get("loc", ()) if p != "__root__"]
    key = ".".join(loc) or "<top level>"
    kind, msg = err.get("type", ""), err.get("msg", "")
    if kind == "extra_forbidden":
        known = _known_keys(model, loc[:-1])
        near = difflib.get_close_matches(loc[-1], known, n=3) if loc else []
        hint = f"; did you mean {' or '.join(near)}?" if near else (
            f"; known keys: {', '.join(known)}" if known else ""
        )
        return key, f"unknown key{hint}"
    if kind == "missing":
        return key, "a value (this key is required)"
    got = err.get("input")
    if isinstance(got, dict | list):
        return key, msg
    return key, f"{msg} (got {got!r})"


def _known_keys(model: type[BaseModel], path: list[str]) -> list[str]:
    current: Any = model
    for part in path:
        fields = getattr(current, "model_fields", None)
        if fields and part in fields:
            current = fields[part].annotation
            continue
        # a dict or list of models (e.g. requirements.<id>): step into the value type
        args = getattr(current, "__args__", ())
        if not args:
            return []
        current = args[-1]
    args = getattr(current, "__args__", ())
    if args and not getattr(current, "model_fields", None):
        current = args[-1]
    fields = getattr(current, "model_fields", None)
    return sorted(fields) if fields else []


def load_model(path: str | Path, model: type[M], data: Any = None) -> M:
    """Read ``path`` (or validate ``data`` read from it) into ``model``."""
    lines: dict[str, int] = {}
    if data is None:
        data, lines = read_yaml(path)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # a misspelt key also shows as a missing one: report the misspelling first
        err = next((e for e in errors if e.get("type") == "extra_forbidden"), errors[0])
        key, expected = describe_error(err, model)
        line = lines.get(key)
        while line is None and "." in key:
            key_parent = key.rsplit(".", 1)[0]
            line = lines.get(key_parent)
            if line is not None:
                break
            key = key_parent
        raise ConfigError(str(path), describe_error(err, model)[0], expected, line) from None
