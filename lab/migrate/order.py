"""Restart order for the quadlet services: dependencies first, entry points last.

Dependencies come from `Requires=`, `Wants=`, `After=`, `BindsTo=` and `Requisite=` in
`[Unit]` that name another quadlet's service, and from quadlet references such as
`Network=web.network`, `Pod=app.pod` or `Volume=data.volume:/data`. Entry points are services
that publish host port 80 or 443 or receive sockets (`Sockets=` or a matching `.socket` unit):
restarting them last keeps the site reachable until its backends are back.

A tier file sets the order by hand. It is plain text, one tier per line, first line first;
names on one line restart together and are separated by spaces; `#` starts a comment. A name
may be a service (`traefik.service`), a bare name (`traefik`) or a quadlet file name
(`traefik.container`). Every `.container`, `.pod` and `.kube` service must be listed once,
after the services it depends on.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from lab.errors import BadInput
from lab.migrate.units import KINDS, SERVICE_KINDS, default_service_name, service_name
from lab.quadlet import UnitFile

DEPENDENCY_KEYS = ("Requires", "Wants", "After", "BindsTo", "Requisite")
REFERENCE_KEYS = ("Network", "Pod", "Volume", "Image", "Mount")
ENTRY_PORTS = frozenset({80, 443})


@dataclass(frozen=True)
class QuadletService:
    """A service generated from one quadlet file, with the quadlet services it depends on."""

    name: str
    path: Path
    depends_on: frozenset[str]
    entry_point: str | None


@dataclass(frozen=True)
class RestartOrder:
    """Tiers of service names: restart each tier after the one before it has started."""

    tiers: tuple[tuple[str, ...], ...]
    entry_points: tuple[str, ...]

    def only(self, services: Collection[str]) -> RestartOrder:
        """Keep only the given services, in the same order, dropping empty tiers."""
        tiers = tuple(
            kept for tier in self.tiers if (kept := tuple(s for s in tier if s in services))
        )
        return RestartOrder(tiers, tuple(s for s in self.entry_points if s in services))


def read_services(quadlet_dir: Path, unit_dir: Path | None = None) -> dict[str, QuadletService]:
    """Read every quadlet file directly in quadlet_dir into services keyed by service name."""
    paths = sorted(p for p in quadlet_dir.iterdir() if p.suffix in KINDS and p.is_file())
    units = {path: UnitFile.read(path) for path in paths}
    names = {service_name(path, unit) for path, unit in units.items()}
    socket_folders = [quadlet_dir] if unit_dir is None else [quadlet_dir, unit_dir]
    services = {}
    for path, unit in units.items():
        name = service_name(path, unit)
        depends_on = frozenset(_references(path, unit) & names - {name})
        entry_point = _entry_point(path, unit, name, socket_folders)
        services[name] = QuadletService(name, path, depends_on, entry_point)
    return services


def restart_tiers(
    quadlet_dir: Path, *, unit_dir: Path | None = None, tier_file: Path | None = None
) -> RestartOrder:
    """Compute the restart order of the quadlet services, or read it from a tier file.

    Raises BadInput for a dependency cycle, naming the services in it, and for a tier file
    that misses a service, names an unknown one or lists one before its dependencies.
    """
    services = read_services(Path(quadlet_dir), unit_dir)
    if tier_file is not None:
        tiers = read_tier_file(Path(tier_file), services)
    else:
        tiers = _dependency_tiers(services)
    entry_points = tuple(sorted(name for name, s in services.items() if s.entry_point))
    return RestartOrder(tiers, entry_points)


def _references(path: Path, unit: UnitFile) -> set[str]:
    found = set()
    for key in DEPENDENCY_KEYS:
        for value in unit.get("Unit", key):
            for word in value.split():
                # NOTE: `db.container` maps to db.service too. Whether the installed podman
                # translates such names in [Unit] is not checked here.
                found.add(default_service_name(word) or word)
    section = KINDS[path.suffix][0]
    for key in REFERENCE_KEYS:
        for value in unit.get(section, key):
            found.update(_quadlet_references(key, value))
    return found


def _quadlet_references(key: str, value: str) -> set[str]:
    if key == "Mount":
        options = dict(part.partition("=")[::2] for part in value.split(","))
        candidates = [options.get("source", ""), options.get("src", "")]
    else:
        # `Network=web.network:ip=10.0.0.2`, `Volume=data.volume:/data:Z`
        candidates = [value.split(":", 1)[0]]
    return {name for name in map(default_service_name, candidates) if name}


def _entry_point(path: Path, unit: UnitFile, name: str, socket_folders: list[Path]) -> str | None:
    section = KINDS[path.suffix][0]
    for value in unit.get(section, "PublishPort"):
        if _host_ports(value) & ENTRY_PORTS:
            return f"PublishPort={value}"
    sockets = [value for value in unit.get("Service", "Sockets") if value]
    if sockets:
        return f"Sockets={' '.join(sockets)}"
    socket_name = name.removesuffix(".service") + ".socket"
    for folder in socket_folders:
        if (folder / socket_name).is_file():
            return f"socket unit {folder / socket_name}"
    return None


def _host_ports(publish: str) -> set[int]:
    """Return the host ports of a PublishPort= value, `[ip:][hostPort:]containerPort[/proto]`."""
    spec = publish.split("/", 1)[0]
    if spec.startswith("["):
        spec = spec.partition("]")[2].removeprefix(":")
        parts = ["", *spec.split(":")]
    else:
        parts = spec.split(":")
    if len(parts) < 2:
        return set()
    host = parts[-2]
    first, _, last = host.partition("-")
    if not first.isdigit() or (last and not last.isdigit()):
        return set()
    return set(range(int(first), int(last or first) + 1))


def _dependency_tiers(services: dict[str, QuadletService]) -> tuple[tuple[str, ...], ...]:
    graph = {name: set(service.depends_on) for name, service in services.items()}
    # Entry points go last, unless a service that is not an entry point needs them first.
    needed = _dependencies_of([n for n, s in services.items() if not s.entry_point], graph)
    deferred = {n for n, s in services.items() if s.entry_point and n not in needed}
    for name in deferred:
        graph[name] |= set(services) - deferred
    levels = _levels(graph)
    count = max(levels.values(), default=-1) + 1
    return tuple(
        tuple(sorted(n for n, level in levels.items() if level == i)) for i in range(count)
    )


def _dependencies_of(names: list[str], graph: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    stack = [dependency for name in names for dependency in graph[name]]
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            stack.extend(graph[name])
    return seen


def _levels(graph: dict[str, set[str]]) -> dict[str, int]:
    """Assign each node the length of its longest dependency chain (Kahn's algorithm)."""
    levels: dict[str, int] = {}
    remaining = dict(graph)
    while remaining:
        ready = [n for n, deps in remaining.items() if all(d in levels for d in deps)]
        if not ready:
            raise BadInput(
                f"dependency cycle among the quadlet services: {' → '.join(_cycle(remaining))}",
                hint="remove one of these Requires=/After=/Wants= (or Network=/Pod=/Volume=) "
                "references, or order the restarts with a tier file",
            )
        for name in ready:
            levels[name] = 1 + max((levels[d] for d in remaining[name]), default=-1)
            del remaining[name]
    return levels


def _cycle(remaining: dict[str, set[str]]) -> list[str]:
    # Every remaining node has a remaining dependency, so walking them must revisit a node.
    path: list[str] = []
    node = min(remaining)
    while node not in path:
        path.append(node)
        node = min(d for d in remaining[node] if d in remaining)
    return [*path[path.index(node) :], node]


def read_tier_file(path: Path, services: dict[str, QuadletService]) -> tuple[tuple[str, ...], ...]:
    """Read a tier file (format in the module docstring) and check it against services."""
    tiers: list[tuple[str, ...]] = []
    line_of: dict[str, int] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        words = line.partition("#")[0].split()
        if not words:
            continue
        names = tuple(_tier_name(word, services, path, number) for word in words)
        for name in names:
            if name in line_of:
                raise BadInput(
                    f"{path}:{number}: {name} is already listed on line {line_of[name]}",
                    hint="list each service once",
                )
            line_of[name] = number
        tiers.append(names)
    _check_tier_dependencies(path, services, line_of)
    return tuple(tiers)


def _tier_name(word: str, services: dict[str, QuadletService], path: Path, number: int) -> str:
    name = default_service_name(word) or (word if word.endswith(".service") else f"{word}.service")
    if name not in services:
        raise BadInput(
            f"{path}:{number}: {word} is not a service of the quadlet folder",
            hint=f"use one of: {', '.join(sorted(services))}",
        )
    return name


def _check_tier_dependencies(
    path: Path, services: dict[str, QuadletService], line_of: dict[str, int]
) -> None:
    missing = sorted(
        name
        for name, service in services.items()
        if service.path.suffix in SERVICE_KINDS and name not in line_of
    )
    if missing:
        raise BadInput(
            f"{path}: missing services: {', '.join(missing)}",
            hint="add each of them to the line of its tier",
        )
    for name, number in line_of.items():
        for dependency in sorted(services[name].depends_on):
            if dependency in line_of and line_of[dependency] >= number:
                raise BadInput(
                    f"{path}:{number}: {name} depends on {dependency}, listed on line "
                    f"{line_of[dependency]}",
                    hint=f"move {dependency} to a line before {name}",
                )
