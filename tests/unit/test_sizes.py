from __future__ import annotations

import pytest

from lab.errors import BadInput
from lab.sizes import format_size, parse_size, scale_bytes, systemd_size


@pytest.mark.parametrize(
    ("text", "expected"),
    [("8G", 8 << 30), ("512M", 512 << 20), ("1.5G", 3 << 29), ("3GiB", 3 << 30), ("4096", 4096),
     ("10k", 10 << 10), ("2T", 2 << 40), (" 1G ", 1 << 30)],
)  # fmt: skip
def test_parse_size_accepts(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["3GG", "8GB2", "", "G", "-1G", "1.2.3G", "8 gigs"])
def test_parse_size_rejects_with_exit_code_2(text: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_size(text, what="--memory")
    assert caught.value.exit_code == 2
    assert "--memory" in caught.value.message
    assert caught.value.hint is not None


def test_scale_bytes_incident_limits_to_lab() -> None:
    # 10G on a 30G machine is a third of it; a third of a 3G lab is exactly 1G.
    assert scale_bytes(10 << 30, 3 << 30, 30 << 30) == 1 << 30
    # 8G × 3/30 = 858993459.2 bytes = 209715.2 pages, rounded to 209715 pages of 4 KiB.
    assert scale_bytes(8 << 30, 3 << 30, 30 << 30) == 209715 * 4096


def test_format_and_systemd_size() -> None:
    assert format_size(3 << 30) == "3.0G"
    assert format_size(240 << 20) == "240M"
    assert systemd_size(8 << 30) == "8G"
    assert systemd_size((1 << 30) + 4096) == "1048580K"
    assert systemd_size(1000) == "1000"
