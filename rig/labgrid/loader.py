"""Load a rig file (a labgrid environment) with one clear message per mistake.

labgrid itself reads a rig file leniently: an unknown key of a resource is dropped with a
warning (a misspelt ``calibraton_due`` silently loses the calibration date), a missing one
becomes ``failed to create ScpiInstrument for target ... using {...}``, and its own errors
come as several exception types without a line. :func:`load_rig` checks the file first and
builds the target item by item, so whatever is wrong is one :class:`~rig.errors.ConfigError`:

    rigs/my-lab.yaml:31: targets.main.resources[4] ScpiInstrument 'ev': calibraton_due:
    unknown key; did you mean calibration_due? (ScpiInstrument takes: resource, model, ...)

naming the file, the key path (with the resource's class and name), the line, and what was
expected. Nothing else escapes: no labgrid, YAML, attrs or Python error.
"""

from __future__ import annotations

import difflib
import re
import string
from pathlib import Path
from typing import Any

import attr
import yaml
from labgrid import Environment
from labgrid.factory import target_factory
from labgrid.target import Target
from labgrid.util.yaml import Loader as LabgridLoader

from rig.errors import ConfigError
from rig.labgrid.resources import CanBus, ResourceError, ScpiInstrument
from rig.yamlio import read_bounded

__all__ = ["build_target", "load_rig", "open_environment", "rig_data"]

#: Top-level keys labgrid reads (others are refused: a misspelt ``targets`` is a rig without
#: instruments).
TOP_LEVEL = ("targets", "options", "features", "imports", "paths", "images", "tools")
TARGET_KEYS = ("resources", "drivers", "features", "options")

Path_ = tuple[Any, ...]


class _Lines:
    """1-based line of each key path of a YAML document (list items by index)."""

    def __init__(self, text: str):
        self.lines: dict[Path_, int] = {}
        try:
            root = yaml.compose(text, Loader=LabgridLoader)
        except yaml.YAMLError:
            return
        if root is not None:
            self._walk(root, ())

    def _walk(self, node: yaml.Node, path: Path_) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = (key_node.value,)
                self.lines[path + key] = key_node.start_mark.line + 1
                self._walk(value_node, path + key)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.lines[(*path, i)] = item.start_mark.line + 1
                self._walk(item, (*path, i))

    def at(self, path: Path_) -> int | None:
        """The line of ``path``, else of its nearest parent."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<top level>"


def _shown(value: Any) -> str:
    if isinstance(value, string.Template):
        return f"!template {value.template!r}"
    if isinstance(value, dict):  # labgrid's loader makes OrderedDicts: show plain mappings
        return repr(_plain(value))
    return repr(value)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class _Checker:
    """Check a parsed rig file's structure against the registered resources and drivers."""

    def __init__(self, source: str, lines: _Lines):
        self.source, self.lines = source, lines

    def fail(self, path: Path_, expected: str, key: str | None = None) -> ConfigError:
        return ConfigError(self.source, key or _dotted(path), expected, self.lines.at(path))

    def mapping(self, value: Any, path: Path_, what: str) -> dict[str, Any]:
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise self.fail(path, f"{what}, got {_shown(value)}")
        return value

    def strings(self, value: Any, path: Path_, what: str) -> None:
        if not isinstance(value, list) or not all(
            isinstance(v, str | string.Template) for v in value
        ):
            raise self.fail(path, f"a list of {what}, got {_shown(value)}")

    def unknown(self, key: str, known: tuple[str, ...] | list[str], path: Path_, where: str,
                label: str | None = None) -> ConfigError:
        near = difflib.get_close_matches(key, known, n=2)
        hint = f"; did you mean {' or '.join(near)}?" if near else ""
        return self.fail(path, f"unknown key{hint} ({where} takes: {', '.join(known) or 'none'})",
                         label)

    def document(self, data: Any) -> None:
        top = self.mapping(data, (), "a mapping with 'targets:' (a labgrid environment)")
        for key in top:
            if key not in TOP_LEVEL:
                raise self.unknown(key, TOP_LEVEL, (key,), "a rig file")
        if "targets" not in top:
            raise self.fail(("targets",), "a mapping of targets (this key is required)")
        if "imports" in top:
            self.strings(top["imports"], ("imports",), "module names or .py files")
        if "features" in top:
            self.strings(top["features"], ("features",), "feature names")
        if top.get("options") is not None:
            self.mapping(top["options"], ("options",), "a mapping of options")
        targets = self.mapping(top["targets"], ("targets",), "a mapping of targets (main: ...)")
        for name, target in targets.items():
            self.target(name, target)

    def target(self, name: str, target: Any) -> None:
        path: Path_ = ("targets", name)
        body = self.mapping(target, path, "a target: a mapping with resources: and drivers:")
        for key in body:
            if key not in TARGET_KEYS:
                raise self.unknown(key, TARGET_KEYS, (*path, key), f"target '{name}'")
        if "features" in body:
            self.strings(body["features"], (*path, "features"), "feature names")
        for kind in ("resources", "drivers"):
            for item in self.items(body.get(kind) or [], (*path, kind), kind):
                self.arguments(*item, kind)

    def items(self, data: Any, path: Path_, kind: str) -> list[tuple[Path_, str, str | None,
                                                                       dict[str, Any]]]:
        """``(path, class, name, arguments)`` of each entry, in labgrid's two notations."""
        registry = target_factory.resources if kind == "resources" else target_factory.drivers
        entries: list[tuple[Path_, Any, Any]] = []
        if isinstance(data, list):
            for i, item in enumerate(data):
                if not isinstance(item, dict) or len(item) != 1:
                    example = ("ScpiInstrument: {name: ..., ...}" if kind == "resources"
                               else "ScpiInstrumentDriver: {name: ..., bindings: {...}}")
                    raise self.fail((*path, i), f"one {kind[:-1]}: a mapping like "
                                                f"'- {example}', got {_shown(item)}")
                ((cls, args),) = item.items()
                entries.append(((*path, i, cls), cls, args))
        elif isinstance(data, dict):
            entries = [((*path, cls), cls, args) for cls, args in data.items()]
        else:
            raise self.fail(path, f"a list of {kind}, got {_shown(data)}")
        out = []
        for item_path, cls, args in entries:
            if not isinstance(cls, str) or cls not in registry:
                known = sorted(registry)
                near = difflib.get_close_matches(str(cls), known, n=2)
                hint = f"; did you mean {' or '.join(near)}?" if near else ""
                raise self.fail(item_path, f"a {kind[:-1]} class known to labgrid or "
                                           f"rig.labgrid{hint}")
            args = self.mapping(args if args is not None else None, item_path,
                                f"the arguments of {cls} as a mapping")
            name = args.get("name")
            if name is not None and not isinstance(name, str | string.Template):
                raise self.fail((*item_path, "name"), f"a name, got {_shown(name)}",
                                _label(item_path, cls, None, "name"))
            out.append((item_path, cls, name, args))
        return out

    def arguments(self, path: Path_, cls: str, name: str | None, args: dict[str, Any],
                  kind: str) -> None:
        klass = (target_factory.resources if kind == "resources" else target_factory.drivers)[cls]
        if not attr.has(klass):
            return
        fields = [f for f in attr.fields(klass) if f.init and f.name not in ("target", "name")]
        known = [f.name for f in fields]
        allowed = {"name", *known} | ({"bindings"} if kind == "drivers" else set())
        for key in args:
            if key not in allowed:
                raise self.unknown(key, known, (*path, key), cls, _label(path, cls, name, key))
        for f in fields:
            if f.default is attr.NOTHING and f.name not in args:
                raise self.fail(path, "a value (this key is required)",
                                _label(path, cls, name, f.name))
        if kind == "drivers" and "bindings" in args:
            self.mapping(args["bindings"], (*path, "bindings"), "a mapping of bindings "
                         "(res: <resource name>)")


def _label(path: Path_, cls: str, name: str | None, field: str) -> str:
    """``targets.main.resources[4] ScpiInstrument 'ev': timeout``: where, in words."""
    entry = path[:-1] if path and path[-1] == cls else path
    who = f"{cls} '{name}'" if name else cls
    return f"{_dotted(entry)} {who}: {field}"


def _read(path: Path) -> tuple[Any, _Lines]:
    if not path.exists():
        raise ConfigError(str(path), "<file>", "an existing labgrid environment file")
    text = read_bounded(path)  # bounded: an alias bomb is refused before anything walks it
    try:
        data = yaml.load(text, Loader=LabgridLoader)  # labgrid's loader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(str(path), "<file>", f"valid YAML ({problem})",
                          mark.line + 1 if mark else None) from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. a date 2027-13-01
        lines = _Lines(text)
        where = _bad_scalar(text)
        key = _dotted(where[0]) if where else "<file>"
        raise ConfigError(str(path), key, f"a valid value ({where[1] if where else exc})",
                          lines.at(where[0]) if where else None) from None
    return data, _Lines(text)


def _bad_scalar(text: str) -> tuple[Path_, str] | None:
    """Where the YAML value that cannot be constructed is (a date like 2027-13-01)."""
    try:
        root = yaml.compose(text, Loader=LabgridLoader)
    except yaml.YAMLError:
        return None
    loader = LabgridLoader("")
    todo: list[tuple[yaml.Node, Path_]] = [(root, ())] if root is not None else []
    while todo:
        node, path = todo.pop(0)
        if isinstance(node, yaml.MappingNode):
            todo += [(v, (*path, k.value)) for k, v in node.value]
        elif isinstance(node, yaml.SequenceNode):
            todo += [(v, (*path, i)) for i, v in enumerate(node.value)]
        else:
            try:
                loader.construct_object(node)
            except Exception as exc:
                return path, f"{node.value!r}: {exc}"
    return None


def rig_data(path: str | Path) -> dict[str, Any]:
    """The rig file as data (templates unresolved), its structure checked: what can be known
    without the variables its ``!template`` strings read."""
    path = Path(path)
    data, lines = _read(path)
    _Checker(str(path), lines).document(data)
    return data


def open_environment(path: str | Path) -> Environment:
    """Check the rig file and open it as a labgrid Environment (imports done, templates
    resolved); :class:`~rig.errors.ConfigError` on any problem."""
    path = Path(path)
    data, lines = _read(path)
    _Checker(str(path), lines).document(data)
    try:
        return Environment(config_file=str(path))
    except Exception as exc:  # labgrid: InvalidConfigError, KeyError, an import's own error
        detail = str(exc).strip() or type(exc).__name__
        missing = _unknown_variable(detail)
        where = _template_path(data, missing) if missing else None
        if where is not None:
            template, at = where
            raise ConfigError(
                str(path), _dotted(at),
                f"a value for {template}: the environment variable {missing} is not set",
                lines.at(at)) from None
        if isinstance(exc, ImportError):
            raise ConfigError(str(path), "imports", f"importable modules ({detail})",
                              lines.at(("imports",))) from None
        raise ConfigError(str(path), "<file>", f"a valid labgrid environment ({detail})") from None


def _unknown_variable(detail: str) -> str | None:
    marker = "refers to unknown variable '"
    if marker not in detail:
        return None
    return detail.split(marker, 1)[1].split("'", 1)[0]


def _template_path(data: Any, variable: str, path: Path_ = ()) -> tuple[str, Path_] | None:
    """The first ``!template`` that reads ``variable``, and where it is."""
    if isinstance(data, string.Template):
        names = {m.group("named") or m.group("braced")
                 for m in data.pattern.finditer(data.template)}
        return (f"!template {data.template!r}", path) if variable in names else None
    items = data.items() if isinstance(data, dict) else (
        enumerate(data) if isinstance(data, list) else ())
    for key, value in items:
        found = _template_path(value, variable, (*path, key))
        if found is not None:
            return found
    return None


def build_target(env: Environment, name: str = "main") -> Target:
    """Build target ``name`` of an open environment, resource by resource and driver by
    driver, so an error names the entry; :class:`~rig.errors.ConfigError` on any problem."""
    source = str(env.config_file)
    if name in env.targets:
        return env.targets[name]
    path = Path(source)
    try:
        _, lines = _read(path)
    except ConfigError:
        lines = _Lines("")
    checker = _Checker(source, lines)
    data = env.config.data
    checker.document(data)  # templates resolved now: check once more
    targets = data.get("targets") or {}
    if name not in targets:
        raise ConfigError(source, f"targets.{name}",
                          f"a target named '{name}' (the file has: "
                          f"{', '.join(map(str, targets)) or 'none'})", lines.at(("targets",)))
    body = targets[name] or {}
    target = Target(name, env=env)
    tpath: Path_ = ("targets", name)
    for kind in ("resources", "drivers"):
        for item_path, cls, item_name, args in checker.items(body.get(kind) or [],
                                                             (*tpath, kind), kind):
            args = {k: v for k, v in args.items() if k != "name"}
            bindings = args.pop("bindings", {}) if kind == "drivers" else None
            try:
                if kind == "resources":
                    target_factory.make_resource(target, cls, item_name, args)
                else:
                    target.set_binding_map(bindings or {})
                    target_factory.make_driver(target, cls, item_name, args)
            except ResourceError as exc:
                field_path = (*item_path, *exc.field.split("."))
                raise ConfigError(source, _label(item_path, cls, item_name, exc.field),
                                  exc.expected, lines.at(field_path)) from None
            except ConfigError:
                raise
            except Exception as exc:
                cause = exc.__cause__ or exc
                detail = str(cause).strip() or type(cause).__name__
                detail = re.sub(r" in Target\(name='[^']*', env=Environment\([^)]*\)\)", "",
                                detail)
                what = "resources to bind to" if kind == "drivers" else "valid arguments"
                field = "bindings" if kind == "drivers" else "arguments"
                raise ConfigError(source, _label(item_path, cls, item_name, field),
                                  f"{what} ({detail})", lines.at(item_path)) from None
    for res in target.resources:
        if isinstance(res, ScpiInstrument):
            _check_driver_options(res, source, lines, tpath, body)
        elif isinstance(res, CanBus) and res.dbc is not None:
            _check_dbc(res, source, lines, tpath, body)
    env.targets[name] = target
    return target


def _check_driver_options(res: ScpiInstrument, source: str, lines: _Lines, tpath: Path_,
                          body: dict[str, Any]) -> None:
    """The options of the model's driver, as the driver checks them when it opens (unknown
    options, values out of range), without opening anything."""
    from rig.instruments.registry import driver_class

    cls = driver_class(res.model)
    entries = body.get("resources") or []
    index = next((i for i, item in enumerate(entries) if isinstance(item, dict)
                  and isinstance(item.get("ScpiInstrument"), dict)
                  and item["ScpiInstrument"].get("name") == res.name), None)
    item_path: Path_ = (*tpath, "resources", index, "ScpiInstrument") if index is not None else (
        *tpath, "resources")
    try:
        options = cls._check_options(res.name, dict(res.options))
        probe = object.__new__(cls)
        probe.driver_options = options
        probe.setup_options(res.name)
    except ConfigError as exc:
        raise ConfigError(source, _label(item_path, "ScpiInstrument", res.name,
                                         f"options.{exc.key}"),
                          f"{exc.expected} (driver {cls.__name__})",
                          lines.at((*item_path, "options", exc.key))) from None


def _check_dbc(res: CanBus, source: str, lines: _Lines, tpath: Path_,
               body: dict[str, Any]) -> None:
    """The CAN bus's DBC file (relative to the rig file) exists and describes what the rig
    reads; ``res.dbc`` becomes its absolute path, so the driver reads the same file."""
    from rig.dut.dbc import load_protocol

    entries = body.get("resources") or []
    index = next((i for i, item in enumerate(entries) if isinstance(item, dict)
                  and isinstance(item.get("CanBus"), dict)
                  and item["CanBus"].get("name") == res.name), None)
    item_path: Path_ = (*tpath, "resources", index, "CanBus") if index is not None else (
        *tpath, "resources")
    path = Path(res.dbc).expanduser()
    if not path.is_absolute():
        path = Path(source).resolve().parent / path
    try:
        load_protocol(path)
    except ConfigError as exc:
        raise ConfigError(source, _label(item_path, "CanBus", res.name, "dbc"),
                          exc.expected if exc.key == "dbc" else f"{exc.key}: {exc.expected}",
                          lines.at((*item_path, "dbc"))) from None
    res.dbc = str(path)


def load_rig(path: str | Path, target: str = "main") -> tuple[Environment, Target]:
    """Open the rig file at ``path`` and build its target: what the plan's fixtures do,
    without pytest. Only :class:`~rig.errors.ConfigError` escapes."""
    env = open_environment(path)
    try:
        return env, build_target(env, target)
    except ConfigError:
        raise
    except Exception as exc:  # a bug in a resource of a third party: still one message
        raise ConfigError(str(path), f"targets.{target}",
                          f"a target labgrid can build ({type(exc).__name__}: {exc})") from None
