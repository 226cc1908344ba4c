"""The incident's twenty services: their quadlets in containers/services/ and memory profiles."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from lab.machine import LAB_UID, FileSpec
from lab.paths import REPO
from lab.sizes import parse_size, scale_bytes

SERVICES_DIR = REPO / "containers" / "services"
QUADLET_DIR = "/home/lab/.config/containers/systemd"
PROFILES_PATH = "/etc/slicelab/standin/profiles.json"
QUADLET_SUFFIXES = (".container", ".network", ".volume", ".image", ".pod")


@dataclass(frozen=True)
class Profile:
    name: str
    modelled_bytes: int
    lab_bytes: int


def load_profiles(lab_memory: int, overrides: dict[str, int] | None = None) -> list[Profile]:
    """Read profiles.yaml and scale each service's memory to the lab (overrides are real-world)."""
    data = yaml.safe_load((SERVICES_DIR / "profiles.yaml").read_text())
    modelled = parse_size(data["modelled_memory"], what="modelled_memory")
    profiles = []
    for name, size in data["services"].items():
        real = (overrides or {}).get(name, parse_size(size, what=f"memory of {name}"))
        profiles.append(Profile(name, real, scale_bytes(real, lab_memory, modelled)))
    return profiles


def service_names() -> list[str]:
    return sorted(path.stem for path in SERVICES_DIR.glob("*.container"))


def unit_name(service: str) -> str:
    return f"{service}.service"


def quadlet_files() -> dict[str, FileSpec]:
    """The quadlet folder's files as they go into the lab user's ~/.config/containers/systemd."""
    return {
        f"{QUADLET_DIR}/{path.name}": FileSpec(path.read_bytes(), 0o644, LAB_UID)
        for path in sorted(SERVICES_DIR.iterdir())
        if path.suffix in QUADLET_SUFFIXES
    }


def profiles_file(profiles: list[Profile]) -> dict[str, FileSpec]:
    content = json.dumps({p.name: {"memory": p.lab_bytes} for p in profiles}, indent=2) + "\n"
    return {PROFILES_PATH: FileSpec(content)}


def service_files(path: Path = SERVICES_DIR) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.suffix in QUADLET_SUFFIXES)
