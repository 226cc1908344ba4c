"""Write the stand-in image as a docker-archive tarball, with no registry and no podman.

The image holds this machine's python3, the shared libraries it links, the standard library
without tests and GUI modules, and standin.py. Rootless podman loads it through the
`standin.image` quadlet (`Image=docker-archive:...`), so every service starts from a local file.

Usage: build_archive.py OUTPUT.tar [IMAGE_NAME]
"""

import hashlib
import io
import json
import os
import re
import subprocess
import sys
import sysconfig
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
SKIPPED_STDLIB = {
    "test", "idlelib", "tkinter", "turtledemo", "ensurepip", "pydoc_data", "lib2to3",
    "site-packages", "dist-packages", "__pycache__", "venv", "_pyrepl",
}
ENTRYPOINT = ["/usr/bin/python3", "-S", "-u", "/standin.py"]


def shared_libraries(binary):
    """Return the absolute paths that ldd lists for binary, the dynamic loader included."""
    output = subprocess.run(["ldd", binary], check=True, capture_output=True, text=True).stdout
    return sorted(set(re.findall(r"(/\S+)", output)))


def stdlib_files(stdlib):
    for folder, subfolders, files in os.walk(stdlib):
        subfolders[:] = [name for name in subfolders if name not in SKIPPED_STDLIB
                         and not name.startswith("config-")]
        for name in files:
            yield os.path.join(folder, name)


def add_path(layer, path, seen):
    """Add path with its parent folders; a symlinked path also brings its target."""
    parts = path.strip("/").split("/")
    for depth in range(1, len(parts)):
        parent = "/" + "/".join(parts[:depth])
        if parent not in seen:
            seen.add(parent)
            if os.path.islink(parent):
                layer.add(parent, arcname=parent.lstrip("/"), recursive=False)
                add_path(layer, os.path.realpath(parent), seen)
            else:
                info = tarfile.TarInfo(parent.lstrip("/"))
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                layer.addfile(info)
    if path in seen:
        return
    seen.add(path)
    layer.add(path, arcname=path.lstrip("/"), recursive=False)
    if os.path.islink(path):
        add_path(layer, os.path.realpath(path), seen)


def build_layer():
    python = os.path.realpath("/usr/bin/python3")
    buffer = io.BytesIO()
    seen = set()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as layer:
        for path in ["/usr/bin/python3", python, *shared_libraries(python)]:
            add_path(layer, path, seen)
        for path in stdlib_files(sysconfig.get_paths()["stdlib"]):
            add_path(layer, path, seen)
        for name in ("tmp", "etc/standin"):
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, 0o1777 if name == "tmp" else 0o755
            layer.addfile(info)
        layer.add(os.path.join(HERE, "standin.py"), arcname="standin.py")
    return buffer.getvalue()


def write_archive(output, image_name):
    layer = build_layer()
    layer_digest = hashlib.sha256(layer).hexdigest()
    config = json.dumps({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Entrypoint": ENTRYPOINT, "Env": ["PYTHONDONTWRITEBYTECODE=1"]},
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{layer_digest}"]},
    }, sort_keys=True).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    manifest = json.dumps([{
        "Config": config_name,
        "RepoTags": [image_name],
        "Layers": [f"{layer_digest}/layer.tar"],
    }]).encode()
    with tarfile.open(output + ".partial", "w") as archive:
        for name, data in ((f"{layer_digest}/layer.tar", layer), (config_name, config),
                           ("manifest.json", manifest)):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            archive.addfile(info, io.BytesIO(data))
    os.replace(output + ".partial", output)
    print(f"wrote {output}: {len(layer) >> 20} MiB layer for {image_name}")


if __name__ == "__main__":
    write_archive(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "localhost/slicelab-standin:latest")
