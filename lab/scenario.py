"""Scenarios: a YAML file validated into a typed model, and its scaling to the lab's size.

Sizes in a scenario are real-world sizes of the modelled machine (30G of RAM, 8G limits).
`Scenario.scaled` scales every byte value by lab memory / modelled memory and keeps both.
Durations are never scaled, because systemd-oomd's windows are absolute.

The loader composes PyYAML's node tree and validates while walking it, so that every error
names the file, the line, the field and the allowed values.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import Any, ClassVar, NoReturn, TypeVar

import yaml

from lab.errors import BadInput
from lab.sizes import parse_size
from lab.strategy import BUILTIN_STRATEGIES, Size, Strategy

__all__ = [
    "SERVICE_NAMES",
    "Bloat",
    "CacheChurn",
    "Chill",
    "DesktopApps",
    "DesktopSession",
    "Expectation",
    "Finding",
    "Leak",
    "Load",
    "LoadKind",
    "Machine",
    "MlSpike",
    "Outcome",
    "Phase",
    "Policy",
    "Scenario",
    "ScenarioError",
    "ServiceOverride",
    "Size",
    "Transcode",
    "load_scenario",
    "parse_duration",
    "parse_scenario",
]

SERVICE_NAMES: tuple[str, ...] = (
    "alert-discord-relay",
    "alertmanager",
    "authelia",
    "cadvisor",
    "crowdsec",
    "grafana",
    "homepage",
    "immich-ml",
    "immich-server",
    "jellyfin",
    "loki",
    "node_exporter",
    "ocis",
    "postgresql-immich",
    "prometheus",
    "promtail",
    "redis-authelia",
    "redis-immich",
    "traefik",
    "vaultwarden",
)
"""The twenty quadlet services of the incident machine, each run as `<name>.service`."""


class Policy(StrEnum):
    """The systemd-oomd policy profile the lab machine runs with."""

    FEDORA_42 = "fedora-42"
    DEBIAN_13 = "debian-13"
    UPSTREAM = "upstream"


class Outcome(StrEnum):
    """The outcome of a unit in a run, or the outcome that an expectation requires.

    `KILLED` as an expectation matches any kill (oomd, kernel OOM, or one whose killer the
    evidence does not name). As a decided outcome it means the unit's `Result=oom-kill` is the
    only evidence of the kill.
    """

    SURVIVED = "survived"
    OOMD = "oomd"
    KERNEL_OOM = "kernel-oom"
    RESTARTED = "restarted"
    FAILED = "failed"
    KILLED = "killed"


class LoadKind(StrEnum):
    DESKTOP_SESSION = "desktop-session"
    DESKTOP_APPS = "desktop-apps"
    CACHE_CHURN = "cache-churn"
    TRANSCODE = "transcode"
    ML_SPIKE = "ml-spike"
    LEAK = "leak"
    BLOAT = "bloat"
    CHILL = "chill"


@dataclass(frozen=True)
class Machine:
    """The modelled machine: its RAM, its swap (0 for none), and an optional user.slice throttle.

    `user_memory_high` sets MemoryHigh on user.slice: above it, every user process that
    allocates is slowed down. The throttle replaces the thrashing of a machine whose RAM and
    zram are full, because a lab under emulation cannot thrash that hard with reclaim alone.
    """

    memory: Size
    swap: Size
    user_memory_high: Size | None = None


@dataclass(frozen=True)
class ServiceOverride:
    """A per-service change to the stand-in service's behaviour."""

    memory: Size


@dataclass(frozen=True)
class DesktopSession:
    """A steady working set in session.slice, like the GNOME shell and its helpers."""

    kind: ClassVar[LoadKind] = LoadKind.DESKTOP_SESSION
    size: Size


@dataclass(frozen=True)
class DesktopApps:
    """Browser- and IDE-like apps in app.slice scopes that grow in steps up to `max`.

    Each app starts at `start`, grows by `step` every `step_interval` seconds and keeps
    re-touching its whole working set, so that reclaimed pages fault back in.
    """

    kind: ClassVar[LoadKind] = LoadKind.DESKTOP_APPS
    count: int
    start: Size
    step: Size
    step_interval: float
    max: Size


@dataclass(frozen=True)
class CacheChurn:
    """File reads that fill the page cache, `size` bytes per pass."""

    kind: ClassVar[LoadKind] = LoadKind.CACHE_CHURN
    size: Size


@dataclass(frozen=True)
class Transcode:
    """A transcode in `service`: extra anonymous memory plus a streamed file read."""

    kind: ClassVar[LoadKind] = LoadKind.TRANSCODE
    service: str
    anon: Size
    stream_read: Size


@dataclass(frozen=True)
class MlSpike:
    """An inference burst in `service` that allocates `size` and keeps it for `hold` seconds."""

    kind: ClassVar[LoadKind] = LoadKind.ML_SPIKE
    service: str
    size: Size
    hold: float


@dataclass(frozen=True)
class Leak:
    """Memory that `service` allocates and never frees, `rate_per_minute` up to `max`."""

    kind: ClassVar[LoadKind] = LoadKind.LEAK
    service: str
    rate_per_minute: Size
    max: Size


@dataclass(frozen=True)
class Bloat:
    """The busy half of systemd's TEST-55 pair: a unit with a tiny MemoryHigh in `slice`."""

    kind: ClassVar[LoadKind] = LoadKind.BLOAT
    size: Size
    memory_high: Size
    slice: str


@dataclass(frozen=True)
class Chill:
    """The quiet half of systemd's TEST-55 pair, next to the bloat unit in `slice`."""

    kind: ClassVar[LoadKind] = LoadKind.CHILL
    size: Size
    slice: str
    memory_high: Size | None = None


Load = DesktopSession | DesktopApps | CacheChurn | Transcode | MlSpike | Leak | Bloat | Chill


@dataclass(frozen=True)
class Phase:
    """A stretch of the run with a fixed set of loads and a `duration` in seconds."""

    name: str
    duration: float
    loads: tuple[Load, ...]


@dataclass(frozen=True)
class Expectation:
    """An asserted outcome for one unit under one strategy.

    With `needs_pressure`, the result is inconclusive unless some watched cgroup above the
    unit met its oomd condition during the run, because surviving no pressure proves nothing.
    """

    unit: str
    outcome: Outcome
    needs_pressure: bool
    service: str | None = None


@dataclass(frozen=True)
class Finding:
    """An outcome to record but not assert, where the mechanism is still open."""

    unit: str
    service: str | None = None
    outcome: Outcome | None = None
    note: str = ""


@dataclass(frozen=True)
class Scenario:
    """A validated scenario. Sizes are `Size` pairs, durations are seconds."""

    source: str
    name: str
    description: str
    machine: Machine
    policy: Policy
    strategies: tuple[Strategy, ...]
    phases: tuple[Phase, ...]
    services: dict[str, ServiceOverride] = field(default_factory=dict)
    expectations: dict[str, tuple[Expectation, ...]] = field(default_factory=dict)
    findings: dict[str, tuple[Finding, ...]] = field(default_factory=dict)

    @property
    def scale(self) -> Fraction:
        """Lab memory / modelled memory: 1 until the scenario is scaled."""
        return Fraction(self.machine.memory.lab, self.machine.memory.modelled)

    def strategy(self, name: str) -> Strategy:
        """Return the strategy called `name`, or raise KeyError if the scenario does not use it."""
        for strategy in self.strategies:
            if strategy.name == name:
                return strategy
        raise KeyError(name)

    def scaled(self, lab_memory: int) -> Scenario:
        """Return a copy with every byte value scaled by lab memory / modelled memory.

        Each value is rounded to 4 KiB pages. The modelled values stay in `Size.modelled`,
        so scaling an already scaled scenario again starts from the modelled values.
        """
        scaled: Scenario = _scale_tree(self, lab_memory, self.machine.memory.modelled)
        return scaled


T = TypeVar("T")
_E = TypeVar("_E", bound=StrEnum)


def _scale_tree(value: T, lab_memory: int, modelled_memory: int) -> T:
    """Scale every `Size` inside dataclasses, tuples and dicts, and leave other values alone."""
    result: Any = value
    if isinstance(value, Size):
        result = value.scaled(lab_memory, modelled_memory)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            item.name: _scale_tree(getattr(value, item.name), lab_memory, modelled_memory)
            for item in dataclasses.fields(value)
        }
        result = dataclasses.replace(value, **changes)
    elif isinstance(value, tuple):
        result = tuple(_scale_tree(item, lab_memory, modelled_memory) for item in value)
    elif isinstance(value, dict):
        result = {
            key: _scale_tree(item, lab_memory, modelled_memory) for key, item in value.items()
        }
    return result


class ScenarioError(BadInput):
    """An invalid scenario file, with the file, the 1-based line and the field at fault."""

    def __init__(
        self, source: str, line: int, field_path: str, problem: str, hint: str | None = None
    ) -> None:
        where = f"{source}:{line}"
        message = f"{where}: {field_path}: {problem}" if field_path else f"{where}: {problem}"
        super().__init__(message, hint)
        self.source = source
        self.line = line
        self.field_path = field_path
        self.problem = problem


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|min|sec|s|m|h)")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600}
DURATION_FORMAT = "a number of seconds or a number with a unit ms, s, m, min or h, e.g. 60s or 2m"


def parse_duration(text: str | int | float) -> float:
    """Parse '60s', '2m', '1m30s', '1min 30s' or a plain number of seconds into seconds.

    Raises ValueError for anything else, including negative numbers.
    """
    if isinstance(text, bool):
        raise ValueError(f"invalid duration: {text!r}")
    if isinstance(text, int | float):
        if text < 0:
            raise ValueError(f"invalid duration: {text} is negative")
        return float(text)
    compact = text.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", compact):
        return float(compact)
    position = 0
    seconds = 0.0
    while position < len(compact):
        match = _DURATION_PART.match(compact, position)
        if not match:
            raise ValueError(f"invalid duration: {text!r}")
        number, unit = match.groups()
        seconds += float(number) * _DURATION_UNITS[unit]
        position = match.end()
        while position < len(compact) and compact[position] == " ":
            position += 1
    if not compact:
        raise ValueError("invalid duration: empty text")
    return seconds


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario file, or raise ScenarioError naming file, line and field."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise BadInput(f"failed to read scenario {path}: {error.strerror}") from error
    return parse_scenario(text, str(path))


def parse_scenario(text: str, source: str) -> Scenario:
    """Validate scenario YAML `text`. `source` names the file in error messages."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise ScenarioError(source, line, "", f"invalid YAML: {error.problem}") from error
    except yaml.YAMLError as error:
        raise ScenarioError(source, 1, "", f"invalid YAML: {error}") from error
    if root is None:
        raise ScenarioError(source, 1, "", "the file contains no scenario")
    return _ScenarioReader(source).scenario(root)


SIZE_FORMAT = "a number with an optional unit K, M, G or T (base 1024), e.g. 512M or 8G"

_TOP_FIELDS = (
    "name",
    "description",
    "machine",
    "policy",
    "strategies",
    "define_strategies",
    "services",
    "phases",
    "expectations",
    "findings",
)
_STRATEGY_FIELDS = (
    "description",
    "slice",
    "memory_high",
    "memory_max",
    "memory_low",
    "watch_container_slice",
    "avoid",
    "swap",
)
_UNIT_SUFFIXES = (".service", ".scope")


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _allowed(values: Collection[str]) -> str:
    return ", ".join(values)


@dataclass
class _Mapping:
    """A validated YAML mapping: its node, its field path and its entries by key."""

    node: yaml.MappingNode
    path: str
    entries: dict[str, tuple[yaml.Node, yaml.Node]]

    def get(self, name: str) -> yaml.Node | None:
        entry = self.entries.get(name)
        return entry[1] if entry else None

    def __getitem__(self, name: str) -> yaml.Node:
        return self.entries[name][1]

    def key_node(self, name: str) -> yaml.Node:
        return self.entries[name][0]

    def path_of(self, name: str) -> str:
        return _child(self.path, name)


class _ScenarioReader:
    """Walks the composed YAML node tree and builds the model, raising at the first error."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._constructor = yaml.constructor.SafeConstructor()

    # Generic values

    def fail(self, node: yaml.Node, path: str, problem: str, hint: str | None = None) -> NoReturn:
        raise ScenarioError(self.source, node.start_mark.line + 1, path, problem, hint)

    def describe(self, node: yaml.Node) -> str:
        if isinstance(node, yaml.MappingNode):
            return "a mapping"
        if isinstance(node, yaml.SequenceNode):
            return "a list"
        return repr(self._constructor.construct_object(node))

    def scalar(self, node: yaml.Node, path: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            self.fail(node, path, f"expected a single value, got {self.describe(node)}")
        return self._constructor.construct_object(node)

    def entries(self, node: yaml.Node, path: str) -> list[tuple[str, yaml.Node, yaml.Node]]:
        """Return (key, key node, value node) of a mapping with text keys and no duplicates."""
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, path, f"expected a mapping, got {self.describe(node)}")
        seen: set[str] = set()
        result = []
        for key_node, value_node in node.value:
            key = self.scalar(key_node, path)
            if not isinstance(key, str):
                self.fail(key_node, path, f"expected a text key, got {key!r}")
            if key in seen:
                self.fail(key_node, _child(path, key), f"duplicate field {key!r}")
            seen.add(key)
            result.append((key, key_node, value_node))
        return result

    def mapping(
        self,
        node: yaml.Node,
        path: str,
        allowed: Collection[str],
        required: Collection[str] = (),
    ) -> _Mapping:
        entries = {}
        for key, key_node, value_node in self.entries(node, path):
            if key not in allowed:
                self.fail(
                    key_node,
                    _child(path, key),
                    f"unknown field {key!r}; allowed fields: {_allowed(allowed)}",
                )
            entries[key] = (key_node, value_node)
        assert isinstance(node, yaml.MappingNode)
        for name in required:
            if name not in entries:
                self.fail(node, path or "scenario", f"missing required field {name!r}")
        return _Mapping(node, path, entries)

    def sequence(self, node: yaml.Node, path: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, path, f"expected a list, got {self.describe(node)}")
        return list(node.value)

    def text(self, node: yaml.Node, path: str) -> str:
        value = self.scalar(node, path)
        if not isinstance(value, str) or not value.strip():
            self.fail(node, path, f"expected non-empty text, got {value!r}")
        return value

    def boolean(self, node: yaml.Node, path: str) -> bool:
        value = self.scalar(node, path)
        if not isinstance(value, bool):
            self.fail(node, path, f"expected true or false, got {value!r}")
        return value

    def integer(self, node: yaml.Node, path: str, minimum: int) -> int:
        value = self.scalar(node, path)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(node, path, f"expected a whole number of at least {minimum}, got {value!r}")
        return value

    def size(self, node: yaml.Node, path: str, *, allow_zero: bool = False) -> Size:
        value = self.scalar(node, path)
        if isinstance(value, bool) or not isinstance(value, int | str):
            self.fail(node, path, f"invalid size {value!r}; expected {SIZE_FORMAT}")
        try:
            size = parse_size(value)
        except BadInput:
            self.fail(node, path, f"invalid size {value!r}; expected {SIZE_FORMAT}")
        if size == 0 and not allow_zero:
            self.fail(node, path, "invalid size 0; expected a size above zero")
        return Size(size, size)

    def duration(self, node: yaml.Node, path: str) -> float:
        value = self.scalar(node, path)
        try:
            if not isinstance(value, int | float | str):
                raise ValueError(value)
            seconds = parse_duration(value)
        except ValueError:
            self.fail(node, path, f"invalid duration {value!r}; expected {DURATION_FORMAT}")
        if seconds <= 0:
            self.fail(node, path, f"invalid duration {value!r}; expected a duration above zero")
        return seconds

    def choice(self, node: yaml.Node, path: str, choices: type[_E], what: str) -> _E:
        value = self.scalar(node, path)
        allowed = [member.value for member in choices]
        if value not in allowed:
            self.fail(node, path, f"unknown {what} {value!r}; allowed values: {_allowed(allowed)}")
        return choices(value)

    def service(self, node: yaml.Node, path: str) -> str:
        value = self.scalar(node, path)
        if value not in SERVICE_NAMES:
            self.fail(
                node,
                path,
                f"unknown service {value!r}; allowed services: {_allowed(SERVICE_NAMES)}",
            )
        assert isinstance(value, str)
        return value

    def slice_name(self, node: yaml.Node, path: str) -> str:
        value = self.text(node, path)
        if not re.fullmatch(r"[A-Za-z0-9:_.\\-]+\.slice", value):
            self.fail(node, path, f"invalid slice {value!r}; expected a unit name ending in .slice")
        return value

    # The scenario

    def scenario(self, root: yaml.Node) -> Scenario:
        top = self.mapping(
            root, "", _TOP_FIELDS, required=("name", "machine", "policy", "strategies", "phases")
        )
        description = top.get("description")
        strategies = self.strategies(top)
        names = [strategy.name for strategy in strategies]
        return Scenario(
            source=self.source,
            name=self.text(top["name"], "name"),
            description=self.text(description, "description") if description else "",
            machine=self.machine(top["machine"], "machine"),
            policy=self.choice(top["policy"], "policy", Policy, "policy"),
            strategies=strategies,
            phases=self.phases(top["phases"], "phases"),
            services=self.services(top.get("services"), "services"),
            expectations=self.per_strategy(top.get("expectations"), "expectations", names),
            findings=self.per_strategy(top.get("findings"), "findings", names),
        )

    def machine(self, node: yaml.Node, path: str) -> Machine:
        fields = self.mapping(node, path, ("memory", "swap", "user_memory_high"), required=("memory", "swap"))
        memory = self.size(fields["memory"], fields.path_of("memory"))
        throttle_node = fields.get("user_memory_high")
        throttle = None
        if throttle_node is not None:
            throttle = self.size(throttle_node, fields.path_of("user_memory_high"))
            if throttle.modelled >= memory.modelled:
                self.fail(throttle_node, fields.path_of("user_memory_high"),
                          f"user_memory_high must be below the machine's memory ({fields['memory'].value})",
                          "leave it out to run without the throttle")  # fmt: skip
        return Machine(
            memory=memory,
            swap=self.size(fields["swap"], fields.path_of("swap"), allow_zero=True),
            user_memory_high=throttle,
        )

    def services(self, node: yaml.Node | None, path: str) -> dict[str, ServiceOverride]:
        if node is None:
            return {}
        overrides = {}
        for name, key_node, value_node in self.entries(node, path):
            service_path = _child(path, name)
            self.service(key_node, service_path)
            fields = self.mapping(value_node, service_path, ("memory",), required=("memory",))
            overrides[name] = ServiceOverride(
                memory=self.size(fields["memory"], fields.path_of("memory"))
            )
        return overrides

    # Strategies

    def strategies(self, top: _Mapping) -> tuple[Strategy, ...]:
        defined = self.defined_strategies(top.get("define_strategies"), "define_strategies")
        known = {**BUILTIN_STRATEGIES, **defined}
        items = self.sequence(top["strategies"], "strategies")
        if not items:
            self.fail(top["strategies"], "strategies", "expected at least one strategy name")
        chosen: list[Strategy] = []
        for index, item in enumerate(items):
            path = f"strategies[{index}]"
            name = self.text(item, path)
            if name not in known:
                self.fail(
                    item,
                    path,
                    f"unknown strategy {name!r}; built-in strategies: "
                    f"{_allowed(BUILTIN_STRATEGIES)}; defined in this file: "
                    f"{_allowed(defined) or 'none'}",
                    hint="define it under define_strategies: or use a built-in name",
                )
            if any(strategy.name == name for strategy in chosen):
                self.fail(item, path, f"strategy {name!r} is listed twice")
            chosen.append(known[name])
        return tuple(chosen)

    def defined_strategies(self, node: yaml.Node | None, path: str) -> dict[str, Strategy]:
        if node is None:
            return {}
        defined = {}
        for name, key_node, value_node in self.entries(node, path):
            strategy_path = _child(path, name)
            if name in BUILTIN_STRATEGIES:
                self.fail(
                    key_node,
                    strategy_path,
                    f"{name!r} is a built-in strategy; choose another name",
                )
            defined[name] = self.strategy(name, value_node, strategy_path)
        return defined

    def strategy(self, name: str, node: yaml.Node, path: str) -> Strategy:
        fields = self.mapping(node, path, _STRATEGY_FIELDS, required=("slice",))
        sizes = {
            key: self.size(fields[key], fields.path_of(key), allow_zero=key == "swap")
            for key in ("memory_low", "memory_high", "memory_max", "swap")
            if key in fields.entries
        }
        self.check_order(fields, sizes, ("memory_low", "memory_high", "memory_max"))
        description = fields.get("description")
        return Strategy(
            name=name,
            description=self.text(description, fields.path_of("description"))
            if description
            else "",
            slice=self.slice_name(fields["slice"], fields.path_of("slice")),
            memory_high=sizes.get("memory_high"),
            memory_max=sizes.get("memory_max"),
            memory_low=sizes.get("memory_low"),
            watch_container_slice=self.flag(fields, "watch_container_slice", default=True),
            avoid=self.flag(fields, "avoid", default=False),
            swap=sizes.get("swap"),
        )

    def flag(self, fields: _Mapping, name: str, default: bool) -> bool:
        node = fields.get(name)
        return default if node is None else self.boolean(node, fields.path_of(name))

    def check_order(self, fields: _Mapping, sizes: dict[str, Size], order: tuple[str, ...]) -> None:
        """Fail when a lower limit in `order` is set above a higher one, e.g. high above max."""
        present = [key for key in order if key in sizes]
        for lower, higher in itertools.pairwise(present):
            if sizes[lower].modelled > sizes[higher].modelled:
                self.fail(
                    fields[lower],
                    fields.path_of(lower),
                    f"{lower} ({sizes[lower]}) is above {higher} ({sizes[higher]})",
                )

    # Phases and loads

    def phases(self, node: yaml.Node, path: str) -> tuple[Phase, ...]:
        items = self.sequence(node, path)
        if not items:
            self.fail(node, path, "expected at least one phase")
        phases: list[Phase] = []
        for index, item in enumerate(items):
            phase_path = f"{path}[{index}]"
            fields = self.mapping(
                item, phase_path, ("name", "duration", "loads"), required=("name", "duration")
            )
            name = self.text(fields["name"], fields.path_of("name"))
            if any(phase.name == name for phase in phases):
                self.fail(
                    fields["name"], fields.path_of("name"), f"phase {name!r} is defined twice"
                )
            loads_node = fields.get("loads")
            loads = self.loads(loads_node, fields.path_of("loads")) if loads_node else ()
            duration = self.duration(fields["duration"], fields.path_of("duration"))
            phases.append(Phase(name=name, duration=duration, loads=loads))
        return tuple(phases)

    def loads(self, node: yaml.Node, path: str) -> tuple[Load, ...]:
        loads = []
        for index, item in enumerate(self.sequence(node, path)):
            load_path = f"{path}[{index}]"
            kind = self.load_kind(item, load_path)
            allowed, required = _LOAD_FIELDS[kind]
            fields = self.mapping(item, load_path, ("kind", *allowed), required=required)
            loads.append(self.load(kind, fields))
        return tuple(loads)

    def load_kind(self, node: yaml.Node, path: str) -> LoadKind:
        """Read `kind` first, so that the other fields can be checked against that kind."""
        for key, _, value_node in self.entries(node, path):
            if key == "kind":
                return self.choice(value_node, _child(path, "kind"), LoadKind, "load kind")
        kinds = _allowed([kind.value for kind in LoadKind])
        self.fail(node, path, f"missing required field 'kind'; allowed kinds: {kinds}")

    def load(self, kind: LoadKind, fields: _Mapping) -> Load:
        def size(name: str) -> Size:
            return self.size(fields[name], fields.path_of(name))

        def service() -> str:
            return self.service(fields["service"], fields.path_of("service"))

        match kind:
            case LoadKind.DESKTOP_SESSION:
                return DesktopSession(size=size("size"))
            case LoadKind.DESKTOP_APPS:
                return self.desktop_apps(fields)
            case LoadKind.CACHE_CHURN:
                return CacheChurn(size=size("size"))
            case LoadKind.TRANSCODE:
                return Transcode(
                    service=service(), anon=size("anon"), stream_read=size("stream_read")
                )
            case LoadKind.ML_SPIKE:
                hold = self.duration(fields["hold"], fields.path_of("hold"))
                return MlSpike(service=service(), size=size("size"), hold=hold)
            case LoadKind.LEAK:
                return Leak(
                    service=service(), rate_per_minute=size("rate_per_minute"), max=size("max")
                )
            case LoadKind.BLOAT:
                slice_name = self.slice_name(fields["slice"], fields.path_of("slice"))
                return Bloat(size=size("size"), memory_high=size("memory_high"), slice=slice_name)
            case LoadKind.CHILL:
                slice_name = self.slice_name(fields["slice"], fields.path_of("slice"))
                high = size("memory_high") if "memory_high" in fields.entries else None
                return Chill(size=size("size"), slice=slice_name, memory_high=high)

    def desktop_apps(self, fields: _Mapping) -> DesktopApps:
        start = self.size(fields["start"], fields.path_of("start"))
        maximum = self.size(fields["max"], fields.path_of("max"))
        if start.modelled > maximum.modelled:
            self.fail(
                fields["start"],
                fields.path_of("start"),
                f"start ({start}) is above max ({maximum})",
            )
        return DesktopApps(
            count=self.integer(fields["count"], fields.path_of("count"), minimum=1),
            start=start,
            step=self.size(fields["step"], fields.path_of("step")),
            step_interval=self.duration(fields["step_interval"], fields.path_of("step_interval")),
            max=maximum,
        )

    # Expectations and findings

    def per_strategy(
        self, node: yaml.Node | None, path: str, strategy_names: list[str]
    ) -> dict[str, tuple[Any, ...]]:
        """Read `expectations:` or `findings:`, a list of entries per chosen strategy."""
        if node is None:
            return {}
        result: dict[str, tuple[Any, ...]] = {}
        for name, key_node, value_node in self.entries(node, path):
            strategy_path = _child(path, name)
            if name not in strategy_names:
                self.fail(
                    key_node,
                    strategy_path,
                    f"strategy {name!r} is not in strategies; allowed values: "
                    f"{_allowed(strategy_names)}",
                )
            items = self.sequence(value_node, strategy_path)
            read = self.expectation if path == "expectations" else self.finding
            result[name] = tuple(
                read(item, f"{strategy_path}[{index}]") for index, item in enumerate(items)
            )
        return result

    def target(self, fields: _Mapping) -> tuple[str, str | None]:
        """Return (unit, service) of an entry that names exactly one service or unit."""
        has_service = "service" in fields.entries
        if has_service == ("unit" in fields.entries):
            self.fail(fields.node, fields.path, "expected exactly one of 'service' or 'unit'")
        if has_service:
            service = self.service(fields["service"], fields.path_of("service"))
            return f"{service}.service", service
        unit = self.text(fields["unit"], fields.path_of("unit"))
        if not unit.endswith(_UNIT_SUFFIXES):
            self.fail(
                fields["unit"],
                fields.path_of("unit"),
                f"invalid unit {unit!r}; expected a unit name ending in {_allowed(_UNIT_SUFFIXES)}",
            )
        return unit, None

    def expectation(self, node: yaml.Node, path: str) -> Expectation:
        fields = self.mapping(
            node, path, ("service", "unit", "outcome", "needs_pressure"), required=("outcome",)
        )
        unit, service = self.target(fields)
        outcome = self.choice(fields["outcome"], fields.path_of("outcome"), Outcome, "outcome")
        pressure_node = fields.get("needs_pressure")
        if pressure_node is None:
            needs_pressure = outcome is Outcome.SURVIVED
        else:
            needs_pressure = self.boolean(pressure_node, fields.path_of("needs_pressure"))
        return Expectation(
            unit=unit, outcome=outcome, needs_pressure=needs_pressure, service=service
        )

    def finding(self, node: yaml.Node, path: str) -> Finding:
        fields = self.mapping(node, path, ("service", "unit", "outcome", "note"))
        unit, service = self.target(fields)
        outcome_node = fields.get("outcome")
        outcome = (
            self.choice(outcome_node, fields.path_of("outcome"), Outcome, "outcome")
            if outcome_node
            else None
        )
        note_node = fields.get("note")
        note = self.text(note_node, fields.path_of("note")) if note_node else ""
        return Finding(unit=unit, service=service, outcome=outcome, note=note)


_LOAD_FIELDS: dict[LoadKind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # kind: (allowed fields besides 'kind', required fields)
    LoadKind.DESKTOP_SESSION: (("size",), ("size",)),
    LoadKind.DESKTOP_APPS: (
        ("count", "start", "step", "step_interval", "max"),
        ("count", "start", "step", "step_interval", "max"),
    ),
    LoadKind.CACHE_CHURN: (("size",), ("size",)),
    LoadKind.TRANSCODE: (("service", "anon", "stream_read"), ("service", "anon", "stream_read")),
    LoadKind.ML_SPIKE: (("service", "size", "hold"), ("service", "size", "hold")),
    LoadKind.LEAK: (("service", "rate_per_minute", "max"), ("service", "rate_per_minute", "max")),
    LoadKind.BLOAT: (("size", "memory_high", "slice"), ("size", "memory_high", "slice")),
    LoadKind.CHILL: (("size", "memory_high", "slice"), ("size", "slice")),
}
