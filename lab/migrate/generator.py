"""Check quadlet files with podman's own quadlet generator, in dry-run user mode.

The generator runs on a temporary copy of the quadlet folder with the new file contents laid
over it, pointed at by `QUADLET_UNIT_DIRS`, so the real folder is never read by it. In
`-dryrun` mode it prints each generated service as `---name.service---` followed by the unit
text, logs problems to stderr as `converting "file": message` and exits with status 1 when a
file failed (checked with podman 5.4.2).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tarfile
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from lab.errors import BadInput, LabError
from lab.machine import LAB_UID, Machine
from lab.migrate.apply import Validator
from lab.run import run

GENERATOR_PATHS = ("/usr/libexec/podman/quadlet", "/usr/lib/podman/quadlet")
_SECTION = re.compile(r"^---(?P<name>.+)---$")
_CONVERTING = re.compile(r'converting "(?P<file>[^"]+)": (?P<message>.*)')


@dataclass(frozen=True)
class GeneratorRun:
    """The output of one dry run, with the temporary folder's path replaced by the source's."""

    status: int
    stdout: str
    stderr: str


class Generator(Protocol):
    """Podman's quadlet generator on the host or in the lab machine."""

    location: str

    def run(self, folder: Path, overrides: Mapping[str, bytes]) -> GeneratorRun:
        """Dry-run the generator on a copy of folder with overrides (relative path: content)."""
        ...


def find_host_generator() -> Path | None:
    """Return the path of podman's quadlet generator on this machine, or None."""
    found = (Path(path) for path in GENERATOR_PATHS)
    return next((path for path in found if os.access(path, os.X_OK)), None)


def find_lab_generator(machine: Machine) -> str | None:
    """Return the path of podman's quadlet generator in the lab machine, or None."""
    for path in GENERATOR_PATHS:
        if machine.exec(["test", "-x", path], check=False).status == 0:
            return path
    return None


class HostGenerator:
    """The generator on this machine, run on a copy in a temporary folder."""

    def __init__(self, binary: Path) -> None:
        self.binary = binary
        self.location = str(binary)

    def run(self, folder: Path, overrides: Mapping[str, bytes]) -> GeneratorRun:
        """Dry-run the generator on a copy of folder with overrides laid over it."""
        with tempfile.TemporaryDirectory(prefix="slicelab-quadlet-") as temp:
            copy = Path(temp) / folder.name
            shutil.copytree(folder, copy, symlinks=True)
            for relative, content in overrides.items():
                (copy / relative).write_bytes(content)
            env = {**os.environ, "QUADLET_UNIT_DIRS": str(copy)}
            completed = run([self.binary, "-dryrun", "-user"], check=False, env=env)
        return _normalized(completed.returncode, completed.stdout, completed.stderr, copy, folder)


class LabGenerator:
    """The generator in the lab machine, run as user lab on a copy under /tmp there."""

    def __init__(self, machine: Machine, binary: str) -> None:
        self.machine = machine
        self.binary = binary
        self.location = f"{binary} in the lab machine {machine.name}"

    def run(self, folder: Path, overrides: Mapping[str, bytes]) -> GeneratorRun:
        """Copy folder with overrides into a new /tmp folder in the machine and dry-run there."""
        copy = self.machine.exec(["mktemp", "-d", "/tmp/slicelab-quadlet-XXXXXX"], user=True)
        remote = copy.stdout.strip()
        try:
            if not self.machine.container.put_archive(remote, folder_archive(folder, overrides)):
                raise LabError(f"copying {folder} to {remote} in {self.machine.name} failed")
            result = self.machine.exec(
                [self.binary, "-dryrun", "-user"],
                user=True,
                check=False,
                environment={"QUADLET_UNIT_DIRS": remote},
            )
        finally:
            self.machine.exec(["rm", "-rf", "--", remote], user=True, check=False)
        return _normalized(result.status, result.stdout, result.stderr, remote, folder)


def folder_archive(folder: Path, overrides: Mapping[str, bytes]) -> bytes:
    """Pack the files below folder, with overrides laid over them, owned by the lab user."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for path in sorted(folder.rglob("*")):
            relative = str(path.relative_to(folder))
            info = archive.gettarinfo(path, arcname=relative)
            info.uid = info.gid = LAB_UID
            info.uname = info.gname = ""
            if relative in overrides:
                data = overrides[relative]
                info.size, info.mtime = len(data), int(time.time())
                archive.addfile(info, io.BytesIO(data))
            elif info.isfile():
                with path.open("rb") as handle:
                    archive.addfile(info, handle)
            else:
                archive.addfile(info)
    return buffer.getvalue()


def _normalized(status: int, stdout: str, stderr: str, copy: Path | str, folder: Path) -> GeneratorRun:
    return GeneratorRun(
        status=status,
        stdout=stdout.replace(str(copy), str(folder)),
        stderr=stderr.replace(str(copy), str(folder)),
    )


def parse_services(stdout: str) -> dict[str, str]:
    """Split dry-run output into the text of each generated unit, keyed by unit name."""
    services: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in stdout.splitlines(keepends=True):
        match = _SECTION.match(line.rstrip("\n"))
        if match:
            current = services.setdefault(match["name"], [])
        elif current is not None:
            current.append(line)
    return {name: "".join(lines).rstrip("\n") + "\n" for name, lines in services.items()}


def generated_services(
    generator: Generator, folder: Path, overrides: Mapping[str, bytes] | None = None
) -> dict[str, str]:
    """Return the service text the generator makes from each unit of folder (with overrides).

    Raises LabError naming the files the generator rejected.
    """
    result = generator.run(Path(folder), overrides or {})
    if result.status != 0:
        raise rejection(generator, result, sorted(overrides or {}))
    return parse_services(result.stdout)


def generator_validator(generator: Generator) -> Validator:
    """Make a Validator that rejects new contents podman's quadlet generator cannot convert."""

    def validate(quadlet_dir: Path, new_contents: Mapping[Path, bytes]) -> None:
        root = quadlet_dir.resolve()
        overrides = {str(path.relative_to(root)): data for path, data in new_contents.items()}
        result = generator.run(quadlet_dir, overrides)
        if result.status != 0:
            raise rejection(generator, result, sorted(overrides))

    return validate


def rejection(generator: Generator, result: GeneratorRun, changed: list[str]) -> LabError:
    """Build the error for a failed dry run, naming each file the generator rejected."""
    problems = [match.groups() for match in map(_CONVERTING.search, result.stderr.splitlines())
                if match]  # fmt: skip
    if not problems:
        tail = [line for line in result.stderr.splitlines() if "Loading source" not in line]
        named = ", ".join(changed) or "the quadlet folder"
        problems = [(named, "\n    ".join(tail[-10:]) or f"exit status {result.status}")]
    listed = "\n".join(f"  {file}: {message}" for file, message in problems)
    return BadInput(
        f"podman's quadlet generator ({generator.location}) rejects the new files, nothing was "
        f"written:\n{listed}",
        hint="fix the files it names; if a file also fails without this change, fix it first",
    )
