"""The lab image: built from ./Containerfile through the podman API, cached by its inputs."""

from __future__ import annotations

import hashlib
import io
import logging
import tarfile
from pathlib import Path

import docker
from docker.models.images import Image

from lab.errors import LabError
from lab.log import step
from lab.paths import REPO

log = logging.getLogger(__name__)

FEDORA_BASE = "registry.fedoraproject.org/fedora:42"
LOCAL_BASE = "localhost/slicelab-base:trixie"
LAB_IMAGE = "localhost/slicelab-lab"
LABEL = "slicelab"
# The build context: only what the Containerfile copies, so the upload stays small.
CONTEXT = (
    "Containerfile",
    "containers/lab/install-packages.sh",
    "containers/lab/setup-lab.sh",
    "containers/lab/rootfs",
    "containers/standin",
)


def context_files() -> list[Path]:
    files: list[Path] = []
    for entry in CONTEXT:
        path = REPO / entry
        files.extend(sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path])
    return [p for p in files if "__pycache__" not in p.parts]


def image_key(base: str) -> str:
    """Hash the base reference and every file of the build context."""
    digest = hashlib.sha256(base.encode())
    for path in context_files():
        digest.update(str(path.relative_to(REPO)).encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def image_tag(base: str) -> str:
    return f"{LAB_IMAGE}:{image_key(base)}"


def build_context() -> io.BytesIO:
    """Pack the build context as an uncompressed tar with stable owners and times."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for path in context_files():
            info = archive.gettarinfo(str(path), arcname=str(path.relative_to(REPO)))
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = 0
            with path.open("rb") as handle:
                archive.addfile(info, handle)
    buffer.seek(0)
    return buffer


def find_image(client: docker.DockerClient, reference: str) -> Image | None:
    try:
        return client.images.get(reference)
    except docker.errors.ImageNotFound:
        return None


def import_base(client: docker.DockerClient, tarball: Path) -> None:
    """Import the VM tree's base tarball as LOCAL_BASE unless the host has it already."""
    if find_image(client, LOCAL_BASE):
        return
    size_mib = tarball.stat().st_size >> 20
    with step(f"Importing the local Debian base image ({size_mib} MiB)"):
        repository, tag = LOCAL_BASE.rsplit(":", 1)
        client.api.import_image(src=str(tarball), repository=repository, tag=tag,
                                changes=[f"LABEL {LABEL}=base"])  # fmt: skip
        if not find_image(client, LOCAL_BASE):
            raise LabError(f"importing {tarball} did not produce {LOCAL_BASE}")


def ensure_lab_image(client: docker.DockerClient, base: str) -> str:
    """Return the lab image's tag, building it from the Containerfile when it is missing."""
    tag = image_tag(base)
    if find_image(client, tag):
        log.info("Lab image: %s (cached)", tag)
        return tag
    with step(f"Building the lab image {tag} from {base}"):
        try:
            _, output = client.images.build(
                fileobj=build_context(), custom_context=True, dockerfile="Containerfile",
                buildargs={"BASE": base}, tag=tag, labels={LABEL: "image"}, rm=True,
                pull=False,
            )  # fmt: skip
        except docker.errors.BuildError as error:
            tail = "\n".join(str(line.get("stream", line)).rstrip() for line in error.build_log)
            raise LabError(f"building the lab image failed: {error.msg}",
                           hint="the build log's last lines:\n" + tail[-3000:]) from error
        for line in output:
            text = str(line.get("stream", "") if isinstance(line, dict) else line).rstrip()
            if text:
                log.debug("  %s", text)
    return tag
