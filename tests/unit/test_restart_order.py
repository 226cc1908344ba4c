"""Tests of the restart order computed from quadlet dependencies or read from a tier file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lab.errors import BadInput
from lab.migrate import read_services, restart_tiers

DATA = Path(__file__).parent.parent / "data" / "quadlets"


def write_folder(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


STACK = {
    "web.network": "[Network]\n",
    "db-data.volume": "[Volume]\n",
    "db.container": (
        "[Container]\nImage=pg\nNetwork=web.network\nVolume=db-data.volume:/var/lib/pg:Z\n"
    ),
    "cache.container": "[Container]\nImage=redis\nNetwork=web.network\n",
    "app.container": (
        "[Unit]\nRequires=db.service\nAfter=db.service cache.service network-online.target\n"
        "[Container]\nImage=app\nNetwork=web.network\nPublishPort=127.0.0.1:8080:8080\n"
    ),
    "proxy.container": (
        "[Unit]\nWants=app.service\n[Container]\nImage=traefik\nPublishPort=443:443\n"
    ),
    "exporter.container": "[Container]\nImage=node-exporter\n",
}


def test_tiers_follow_dependencies(tmp_path: Path) -> None:
    order = restart_tiers(write_folder(tmp_path, STACK))
    assert order.tiers == (
        ("db-data-volume.service", "exporter.service", "web-network.service"),
        ("cache.service", "db.service"),
        ("app.service",),
        ("proxy.service",),
    )
    assert order.entry_points == ("proxy.service",)


def test_entry_point_without_dependencies_goes_last(tmp_path: Path) -> None:
    files = {**STACK, "proxy.container": "[Container]\nImage=traefik\nPublishPort=80:80/tcp\n"}
    order = restart_tiers(write_folder(tmp_path, files))
    assert order.tiers[-1] == ("proxy.service",)


def test_entry_point_needed_by_others_stays_early(tmp_path: Path) -> None:
    files = {
        "proxy.container": "[Container]\nImage=traefik\nPublishPort=[::]:443:443\n",
        "app.container": "[Unit]\nRequires=proxy.service\n[Container]\nImage=app\n",
    }
    order = restart_tiers(write_folder(tmp_path, files))
    assert order.tiers == (("proxy.service",), ("app.service",))


@pytest.mark.parametrize(
    ("publish", "is_entry"),
    [
        ("443:8443", True),
        ("0.0.0.0:80:8080/tcp", True),
        ("[::1]:443:443", True),
        ("79-81:79-81", True),
        ("80", False),
        ("8080:80", False),
        ("127.0.0.1::80", False),
    ],
)
def test_publish_port_host_side(tmp_path: Path, publish: str, is_entry: bool) -> None:
    write_folder(tmp_path, {"web.container": f"[Container]\nImage=x\nPublishPort={publish}\n"})
    service = read_services(tmp_path)["web.service"]
    assert (service.entry_point is not None) == is_entry


def test_real_cases_sockets_entry_point(tmp_path: Path) -> None:
    for case in DATA.glob("*.container"):
        shutil.copy(case, tmp_path / case.name)
    services = read_services(tmp_path)
    assert services["reverse-proxy.service"].entry_point == "Sockets=http.socket https.socket"
    assert services["media-server.service"].entry_point is None
    # proxy-network.service is not a quadlet in this folder, so it is no dependency here.
    assert services["media-server.service"].depends_on == frozenset()
    order = restart_tiers(tmp_path)
    assert order.tiers[-1] == ("reverse-proxy.service",)


def test_socket_unit_marks_entry_point(tmp_path: Path) -> None:
    units = write_folder(tmp_path / "units", {"web.socket": "[Socket]\nListenStream=80\n"})
    quadlets = write_folder(tmp_path / "q", {"web.container": "[Container]\nImage=x\n"})
    service = read_services(quadlets, units)["web.service"]
    assert service.entry_point == f"socket unit {units / 'web.socket'}"


def test_pod_and_quadlet_name_references(tmp_path: Path) -> None:
    files = {
        "app.pod": "[Pod]\nNetwork=web.network\n",
        "web.network": "[Network]\n",
        "member.container": "[Unit]\nAfter=db.container\n[Container]\nImage=x\nPod=app.pod\n",
        "db.container": "[Container]\nImage=pg\nMount=type=volume,source=data.volume,dst=/d\n",
        "data.volume": "[Volume]\n",
    }
    services = read_services(write_folder(tmp_path, files))
    assert services["member.service"].depends_on == {"app-pod.service", "db.service"}
    assert services["app-pod.service"].depends_on == {"web-network.service"}
    assert services["db.service"].depends_on == {"data-volume.service"}


def test_cycle_is_named(tmp_path: Path) -> None:
    files = {
        "a.container": "[Unit]\nAfter=b.service\n[Container]\nImage=x\n",
        "b.container": "[Unit]\nRequires=c.service\n[Container]\nImage=x\n",
        "c.container": "[Unit]\nWants=a.service\n[Container]\nImage=x\n",
        "d.container": "[Container]\nImage=x\n",
    }
    with pytest.raises(BadInput) as caught:
        restart_tiers(write_folder(tmp_path, files))
    assert "a.service → b.service → c.service → a.service" in caught.value.message


def test_only_keeps_order(tmp_path: Path) -> None:
    order = restart_tiers(write_folder(tmp_path, STACK)).only({"proxy.service", "db.service"})
    assert order.tiers == (("db.service",), ("proxy.service",))


def test_tier_file_read(tmp_path: Path) -> None:
    quadlets = write_folder(tmp_path / "q", STACK)
    tier_file = tmp_path / "tiers.txt"
    tier_file.write_text(
        "# exporters first\nexporter\n\ndb.container cache.service  # support\napp\nproxy\n"
    )
    order = restart_tiers(quadlets, tier_file=tier_file)
    assert order.tiers == (
        ("exporter.service",),
        ("db.service", "cache.service"),
        ("app.service",),
        ("proxy.service",),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("exporter db cache app proxy nosuch\n", "tiers.txt:1: nosuch is not a service"),
        ("exporter db cache\napp\nproxy db\n", "tiers.txt:3: db.service is already listed"),
        ("exporter db cache\napp\n", "missing services: proxy.service"),
        ("exporter cache\napp\ndb\nproxy\n", "tiers.txt:2: app.service depends on db.service"),
        ("exporter db cache app\nproxy\n", "tiers.txt:1: app.service depends on"),
    ],
    ids=["unknown", "twice", "missing", "dependency-later", "dependency-same-tier"],
)
def test_tier_file_errors(tmp_path: Path, text: str, message: str) -> None:
    quadlets = write_folder(tmp_path / "q", STACK)
    tier_file = tmp_path / "tiers.txt"
    tier_file.write_text(text)
    with pytest.raises(BadInput) as caught:
        restart_tiers(quadlets, tier_file=tier_file)
    assert message in caught.value.message
