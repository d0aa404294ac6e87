"""Read YAML files into validated models, with errors that name file, key path and line.

Whatever is wrong with a file (unreadable, not UTF-8, not YAML, a value YAML cannot build such
as the date ``2027-13-01``, a key given twice, a wrong key, type or value) is one
:class:`~rig.errors.ConfigError`: ``file:line: key.path: what was expected``.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from rig.errors import ConfigError

M = TypeVar("M", bound=BaseModel)
#: libyaml's loader where PyYAML was built with it (the same documents, ten times faster).
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: Bounds on every YAML file the rig reads (rig files, catalogues, charger profiles). Real files
#: are far below them (the catalogue: 40 kB, 3 000 nodes, 8 levels). A hostile one is refused
#: before anything builds or walks it: an alias bomb (a few lines that expand to billions of
#: nodes: PyYAML shares aliased objects, but labgrid's template resolution, pydantic and
#: json walk them expanded, for minutes and gigabytes), a huge file, a nesting deep enough to
#: overflow a recursive walker.
MAX_BYTES = 2_000_000
MAX_DEPTH = 64
MAX_NODES = 200_000


def read_bounded(path: str | Path) -> str:
    """The text of a YAML file, refused (:class:`ConfigError`) if it is unreadable, not UTF-8,
    larger than :data:`MAX_BYTES` or hostile (:func:`check_hostile`)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ConfigError(str(path), "<file>", f"a YAML file of at most {MAX_BYTES} bytes "
                                                   f"(it has {size})")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), "<file>", f"a readable file ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), "<file>", f"UTF-8 text ({exc.reason} at byte "
                                               f"{exc.start})") from None
    check_hostile(text, str(path))
    return text


def check_hostile(text: str, source: str) -> None:
    """Refuse YAML whose expanded size or depth is beyond the bounds, from its event stream
    alone (iterative, so it costs one pass and stops at the first excess; a syntax error is
    left to the parser that reports it with its line)."""
    if len(text) > MAX_BYTES:
        raise ConfigError(source, "<file>", f"a YAML text of at most {MAX_BYTES} characters")
    sizes: dict[str, int] = {}  # expanded node count of each anchor
    stack: list[list[Any]] = []  # open collections: [anchor, nodes so far, line]
    total = 0
    try:
        for event in yaml.parse(text, Loader=SafeLoader):
            line = event.start_mark.line + 1 if event.start_mark else None
            if isinstance(event, yaml.CollectionStartEvent):
                stack.append([event.anchor, 1, line])
                total += 1
                if len(stack) > MAX_DEPTH:
                    raise ConfigError(source, "<file>", f"YAML nested at most {MAX_DEPTH} levels "
                                                        "deep", line)
                continue
            if isinstance(event, yaml.CollectionEndEvent):
                anchor, count, _ = stack.pop()
                if anchor:
                    sizes[anchor] = count
                if stack:
                    stack[-1][1] += count
                continue
            if isinstance(event, yaml.AliasEvent):
                size = sizes.get(event.anchor, 1)
            elif isinstance(event, yaml.ScalarEvent):
                size = 1
                if event.anchor:
                    sizes[event.anchor] = 1
            else:
                continue
            total += size
            if stack:
                stack[-1][1] += size
            if total > MAX_NODES:
                raise ConfigError(
                    source, "<file>", f"YAML of at most {MAX_NODES} values with its aliases "
                    f"expanded (aliases (*name) multiply it: an alias bomb?)", line)
    except yaml.YAMLError:
        return


def key_lines(text: str, root: yaml.Node | None = None) -> dict[str, int]:
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

    if root is None:
        root = _compose(text)
    if root is not None:
        walk(root, "")
    return lines


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=SafeLoader)
    except (yaml.YAMLError, RecursionError):
        return None


def _nodes(text: str, root: yaml.Node | None = None) -> list[tuple[str, yaml.Node,
                                                                   yaml.Node | None]]:
    """(dotted path, node, key node) of every node of the document, parents first."""
    if root is None:
        root = _compose(text)
    out: list[tuple[str, yaml.Node, yaml.Node | None]] = []
    todo: list[tuple[str, yaml.Node, yaml.Node | None]] = [("", root, None)] if root else []
    while todo:
        path, node, key = todo.pop(0)
        out.append((path, node, key))
        prefix = f"{path}." if path else ""
        if isinstance(node, yaml.MappingNode):
            todo += [(f"{prefix}{k.value}", v, k) for k, v in node.value]
        elif isinstance(node, yaml.SequenceNode):
            todo += [(f"{prefix}{i}", v, None) for i, v in enumerate(node.value)]
    return out


def duplicate_key(text: str, root: yaml.Node | None = None) -> tuple[str, int, int] | None:
    """The first key given twice in one mapping: (dotted path, line, line of the first)."""
    for path, node, _ in _nodes(text, root):
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _value in node.value:
                line = key_node.start_mark.line + 1
                if key_node.value in seen and isinstance(key_node, yaml.ScalarNode):
                    prefix = f"{path}." if path else ""
                    return f"{prefix}{key_node.value}", line, seen[key_node.value]
                seen[key_node.value] = line
    return None


def bad_value(text: str) -> tuple[str, int, str] | None:
    """The first scalar YAML cannot build (a date 2027-13-01): (dotted path, line, why)."""
    loader = yaml.SafeLoader("")
    for path, node, key in _nodes(text):
        if isinstance(node, yaml.ScalarNode):
            try:
                loader.construct_object(node)
            except Exception as exc:
                line = (key or node).start_mark.line + 1
                return path or "<top level>", line, f"{node.value!r}: {exc}"
    return None


def read_yaml(path: str | Path) -> tuple[Any, dict[str, int]]:
    """Parse a YAML file; a missing file, a syntax error, a value YAML cannot build or a key
    given twice is a :class:`ConfigError`."""
    path = Path(path)
    text = read_bounded(path)
    try:
        data = yaml.load(text, Loader=SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(
            str(path), "<file>", f"valid YAML ({problem})", mark.line + 1 if mark else None
        ) from None
    except RecursionError:
        raise ConfigError(str(path), "<file>", "YAML nested less deeply") from None
    except (ValueError, TypeError, OverflowError) as exc:
        where = bad_value(text)
        if where is None:
            raise ConfigError(str(path), "<file>", f"valid YAML values ({exc})") from None
        key, line, why = where
        raise ConfigError(str(path), key, f"a valid value ({why})", line) from None
    root = _compose(text)
    twice = duplicate_key(text, root)
    if twice is not None:
        key, line, first = twice
        raise ConfigError(str(path), key, f"a key given once (it is also on line {first})", line)
    return data, key_lines(text, root)


def describe_error(err: dict[str, Any], model: type[BaseModel]) -> tuple[str, str]:
    """(dotted key path, what was expected) of one pydantic error."""
    loc = [str(p) if str(p) else "''" for p in err.get("loc", ()) if p != "__root__"]
    kind, msg = err.get("type", ""), err.get("msg", "")
    if loc and loc[-1] == "[key]":  # the key itself is wrong (not its value)
        loc = loc[:-1]
        msg = f"a valid key: {msg.removeprefix('Value error, ')}"
    key = ".".join(loc) or "<top level>"
    msg = msg.removeprefix("Value error, ")
    if kind in ("model_type", "dict_type"):
        msg = "a mapping (key: value)"
    got = err.get("input")
    if not loc and not isinstance(got, dict):
        shown = "an empty file" if got is None else f"a {type(got).__name__}"
        return key, f"a mapping of keys ({_top_keys(model)}), got {shown}"
    if kind == "extra_forbidden":
        known = _known_keys(model, loc[:-1])
        near = difflib.get_close_matches(loc[-1], known, n=3) if loc else []
        hint = f"; did you mean {' or '.join(near)}?" if near else (
            f"; known keys: {', '.join(known)}" if known else ""
        )
        return key, f"unknown key{hint}"
    if kind == "missing":
        return key, "a value (this key is required)"
    if isinstance(got, dict | list):
        return key, msg
    return key, f"{msg} (got {got!r})"


def _top_keys(model: type[BaseModel]) -> str:
    required = [n for n, f in model.model_fields.items() if f.is_required()]
    return ", ".join(f"{n}:" for n in required or model.model_fields)


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
