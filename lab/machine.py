"""The running lab machine: a privileged systemd container reached through the podman API."""

from __future__ import annotations

import io
import logging
import shlex
import tarfile
import time
from collections.abc import Sequence
from dataclasses import dataclass

import docker
from docker.models.containers import Container

from lab.errors import CommandFailed, LabError
from lab.retry import NotYet, policy

log = logging.getLogger(__name__)

LAB_USER = "lab"
LAB_UID = 1000
USER_ENV = {
    "XDG_RUNTIME_DIR": f"/run/user/{LAB_UID}",
    "DBUS_SESSION_BUS_ADDRESS": f"unix:path=/run/user/{LAB_UID}/bus",
    "HOME": f"/home/{LAB_USER}",
}


@dataclass(frozen=True)
class ExecResult:
    argv: list[str]
    status: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class FileSpec:
    """A file to place in the lab machine: content, mode and owner."""

    content: str | bytes
    mode: int = 0o644
    uid: int = 0


class Machine:
    """Commands, files and waits inside one lab machine."""

    def __init__(self, container: Container) -> None:
        self.container = container

    @property
    def name(self) -> str:
        return str(self.container.name)

    def exec(
        self, argv: Sequence[str], *, user: bool = False, check: bool = True,
        environment: dict[str, str] | None = None,
    ) -> ExecResult:  # fmt: skip
        """Run argv in the machine as root, or as the lab user with its systemd session bus."""
        env = {**(USER_ENV if user else {}), **(environment or {})}
        log.debug("[%s%s] $ %s", self.name, " as lab" if user else "", shlex.join(argv))
        status, (stdout, stderr) = self.container.exec_run(
            list(argv), user=LAB_USER if user else "root", environment=env, demux=True,
        )  # fmt: skip
        result = ExecResult(list(argv), int(status or 0), _text(stdout), _text(stderr))  # type: ignore[arg-type]
        if check and result.status != 0:
            raise CommandFailed(result.argv, result.status, result.stderr or result.stdout)
        return result

    def exec_detached(self, argv: Sequence[str], *, user: bool = False) -> None:
        """Start argv in the machine and return at once; it runs on after the exec session."""
        env = USER_ENV if user else {}
        log.debug("[%s%s] $ %s &", self.name, " as lab" if user else "", shlex.join(argv))
        self.container.exec_run(list(argv), user=LAB_USER if user else "root", environment=env,
                                detach=True)  # fmt: skip

    def user_systemctl(self, *args: str, check: bool = True) -> ExecResult:
        return self.exec(["systemctl", "--user", *args], user=True, check=check)

    def put_files(self, files: dict[str, FileSpec]) -> None:
        """Write files (absolute paths) into the machine in one archive; folders are created."""
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            for folder in _parent_folders(files):
                info = tarfile.TarInfo(folder.lstrip("/"))
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                info.uid = info.gid = _folder_owner(folder, files)
                archive.addfile(info)
            for path, spec in files.items():
                data = spec.content.encode() if isinstance(spec.content, str) else spec.content
                info = tarfile.TarInfo(path.lstrip("/"))
                info.size, info.mode, info.mtime = len(data), spec.mode, int(time.time())
                info.uid = info.gid = spec.uid
                archive.addfile(info, io.BytesIO(data))
        if not self.container.put_archive("/", buffer.getvalue()):
            raise LabError(f"copying {len(files)} files into {self.name} failed")

    def read_file(self, path: str) -> str:
        return self.exec(["cat", path]).stdout

    def wait_until_running(self, seconds: float) -> list[str]:
        """Wait for systemd to finish booting; return the failed units ('degraded' is accepted)."""
        try:
            for attempt in policy(seconds, 2.0):
                with attempt:
                    state = self.exec(["systemctl", "is-system-running"], check=False).stdout.strip()
                    if state in ("initializing", "starting", ""):
                        raise NotYet(f"systemd is {state or 'not answering'}")
        except NotYet as error:
            message = f"systemd did not finish booting within {seconds:.0f} s ({error})"
            raise self.boot_error(message) from error
        if state not in ("running", "degraded"):
            raise self.boot_error(f"systemd in the lab machine is {state!r}")
        failed = self.failed_units()
        if failed:
            log.info("  the lab machine is degraded, failed units: %s", ", ".join(failed))
        return failed

    def failed_units(self, *, user: bool = False) -> list[str]:
        args = ["systemctl", *(["--user"] if user else []), "--failed", "--plain", "--no-legend"]
        output = self.exec(args, user=user, check=False).stdout
        return [line.split()[0] for line in output.splitlines() if line.strip()]

    def boot_error(self, message: str) -> LabError:
        failed = self.exec(["systemctl", "--failed", "--no-pager"], check=False).stdout
        journal = self.exec(["journalctl", "-b", "--no-pager", "-n", "30"], check=False).stdout
        return LabError(message, hint=f"systemctl --failed:\n{failed}\njournal tail:\n{journal}")


def _text(data: bytes | None) -> str:
    return data.decode(errors="replace") if data else ""


def _parent_folders(files: dict[str, FileSpec]) -> list[str]:
    folders: set[str] = set()
    for path in files:
        parts = path.strip("/").split("/")[:-1]
        folders.update("/" + "/".join(parts[: i + 1]) for i in range(len(parts)))
    return sorted(folders)


def _folder_owner(folder: str, files: dict[str, FileSpec]) -> int:
    """A folder belongs to the lab user when it is the user's home, or inside it and holds only
    the user's files; the archive's folder entries set owners when they are extracted."""
    home = f"/home/{LAB_USER}"
    if folder == home:
        return LAB_UID
    if not folder.startswith(home + "/"):
        return 0
    owners = {spec.uid for path, spec in files.items() if path.startswith(folder + "/")}
    return LAB_UID if owners == {LAB_UID} else 0


def find_container(client: docker.DockerClient, name: str) -> Container | None:
    try:
        return client.containers.get(name)
    except docker.errors.NotFound:
        return None
