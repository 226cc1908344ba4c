"""Tests of the lossless unit file reader and editor."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lab.errors import BadInput
from lab.quadlet import UnitFile, UnitFileError, dropin_paths, effective_section

DATA = Path(__file__).parent.parent / "data" / "quadlets"
CASES = sorted(DATA.glob("*.container"))


def parse(text: str) -> UnitFile:
    return UnitFile.parse(text.encode(), Path("test.container"))


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_real_case_round_trips(path: Path) -> None:
    data = path.read_bytes()
    assert UnitFile.parse(data, path).to_bytes() == data


def test_cases_present() -> None:
    assert {p.name for p in CASES} == {
        "crlf-cache.container",
        "media-server.container",
        "ml-inference.container",
        "reverse-proxy.container",
    }


def test_repeated_keys_keep_order() -> None:
    unit = UnitFile.read(DATA / "media-server.container")
    assert unit.get("Container", "Network") == ["systemd-proxy", "systemd-media"]
    assert unit.get("Container", "Volume") == [
        "/srv/containers/jellyfin/config:/config:Z",
        "/srv/containers/jellyfin/cache:/cache:Z",
        "/srv/media:/media:ro,z",
    ]
    assert unit.get("Container", "PublishPort") == ["8096:8096", "7359:7359/udp"]


def test_value_keeps_shell_operators() -> None:
    unit = UnitFile.read(DATA / "media-server.container")
    assert unit.get_last("Container", "HealthCmd") == (
        "curl -f http://localhost:8096/health || exit 1"
    )


def test_value_keeps_quotes() -> None:
    unit = UnitFile.read(DATA / "ml-inference.container")
    health = unit.get_last("Container", "HealthCmd")
    assert health is not None
    assert health.startswith('python3 -c "import urllib.request;')
    assert health.endswith('timeout=5)" || exit 1')


def test_specifiers_and_sockets_kept() -> None:
    unit = UnitFile.read(DATA / "reverse-proxy.container")
    assert unit.get("Service", "Sockets") == ["http.socket", "https.socket"]
    assert unit.get("Container", "Volume")[0].startswith("%h/containers/")
    assert "/run/user/%U/" in unit.get("Container", "Volume")[1]


def test_comment_mentioning_key_is_not_key() -> None:
    unit = UnitFile.read(DATA / "reverse-proxy.container")
    assert unit.get("Container", "PublishPort") == []
    assert unit.get("Service", "Slice") == ["app.slice"]


def test_section_missing_reported() -> None:
    unit = UnitFile.read(DATA / "ml-inference.container")
    assert not unit.has_section("Service")
    assert [s.name for s in unit.sections] == ["Unit", "Container", "Install"]


def test_continuation_joined_like_systemd() -> None:
    # systemd replaces the trailing backslash with a space and appends the next line as is.
    unit = parse("[Service]\nExecStart=/bin/echo a \\\n  b\n")
    assert unit.get("Service", "ExecStart") == ["/bin/echo a    b"]


def test_comment_inside_continuation_skipped() -> None:
    unit = parse("[Service]\nExecStart=/bin/echo a\\\n# note\n; other\nb\nRestart=always\n")
    assert unit.get("Service", "ExecStart") == ["/bin/echo a b"]
    assert unit.get("Service", "Restart") == ["always"]


def test_escaped_backslash_not_continuation() -> None:
    unit = parse("[Service]\nEnvironment=PATHSEP=\\\\\nRestart=always\n")
    assert unit.get("Service", "Environment") == ["PATHSEP=\\\\"]
    assert unit.get("Service", "Restart") == ["always"]


def test_blank_line_ends_continuation() -> None:
    unit = parse("[Service]\nExecStart=/bin/true \\\n\nRestart=no\n")
    assert unit.get("Service", "ExecStart") == ["/bin/true"]
    assert unit.get("Service", "Restart") == ["no"]


def test_sections_with_same_name_merge() -> None:
    unit = parse("[Service]\nA=1\n[Unit]\nB=2\n[Service]\nA=3\n")
    assert unit.get("Service", "A") == ["1", "3"]
    assert unit.get_last("Service", "A") == "3"


def test_whitespace_around_key_and_value_stripped() -> None:
    unit = parse("[Service]\n  Restart =  always  \n")
    assert unit.get("Service", "Restart") == ["always"]
    assert unit.to_text() == "[Service]\n  Restart =  always  \n"


def test_empty_assignment_kept_as_reset() -> None:
    unit = parse("[Container]\nVolume=/a:/a\nVolume=\n")
    assert unit.get("Container", "Volume") == ["/a:/a", ""]


def test_bom_kept_and_ignored() -> None:
    data = "\ufeff[Service]\nRestart=always\n".encode()
    unit = UnitFile.parse(data)
    assert unit.get("Service", "Restart") == ["always"]
    assert unit.to_bytes() == data


def test_add_after_last_key_of_section() -> None:
    unit = parse("[Service]\nRestart=always\n\n# limits\n[Install]\nWantedBy=default.target\n")
    unit.add("Service", "Slice", "container.slice")
    assert unit.to_text() == (
        "[Service]\nRestart=always\nSlice=container.slice\n\n# limits\n"
        "[Install]\nWantedBy=default.target\n"
    )


def test_add_after_continuation() -> None:
    unit = parse("[Service]\nExecStart=/bin/a \\\n  b\n[Install]\n")
    unit.add("Service", "Slice", "c.slice")
    assert unit.to_text() == "[Service]\nExecStart=/bin/a \\\n  b\nSlice=c.slice\n[Install]\n"


def test_add_to_empty_section_follows_header() -> None:
    unit = parse("[Service]\n# nothing yet\n\n[Install]\n")
    unit.add("Service", "Slice", "c.slice")
    assert unit.to_text() == "[Service]\nSlice=c.slice\n# nothing yet\n\n[Install]\n"


def test_add_goes_into_last_same_section() -> None:
    unit = parse("[Service]\nA=1\n[Unit]\nB=2\n[Service]\nC=3\n[Install]\n")
    unit.add("Service", "D", "4")
    assert unit.to_text() == "[Service]\nA=1\n[Unit]\nB=2\n[Service]\nC=3\nD=4\n[Install]\n"


def test_add_keeps_crlf() -> None:
    data = (DATA / "crlf-cache.container").read_bytes()
    unit = UnitFile.parse(data)
    unit.add("Service", "Slice", "container.slice")
    assert unit.to_bytes() == data + b"Slice=container.slice\r\n"


def test_add_keeps_missing_final_newline() -> None:
    unit = parse("[Service]\nRestart=always")
    unit.add("Service", "Slice", "c.slice")
    assert unit.to_text() == "[Service]\nRestart=always\nSlice=c.slice"


def test_add_section_at_end() -> None:
    unit = parse("[Container]\nImage=x\n")
    unit.add("Service", "Slice", "c.slice")
    assert unit.to_text() == "[Container]\nImage=x\n\n[Service]\nSlice=c.slice\n"


def test_add_section_without_final_newline() -> None:
    unit = parse("[Container]\r\nImage=x")
    unit.add("Service", "Slice", "c.slice")
    assert unit.to_text() == "[Container]\r\nImage=x\r\n\r\n[Service]\r\nSlice=c.slice"


def test_set_replaces_first_and_drops_rest() -> None:
    unit = parse("[Service]\nSlice=a.slice\nRestart=always\nSlice=b.slice\n")
    unit.set("Service", "Slice", "c.slice")
    assert unit.to_text() == "[Service]\nSlice=c.slice\nRestart=always\n"


def test_set_adds_missing_key() -> None:
    unit = parse("[Service]\nRestart=always\n")
    unit.set("Service", "Slice", "c.slice")
    assert unit.get("Service", "Slice") == ["c.slice"]


def test_remove_takes_continuation_keeps_comment() -> None:
    unit = parse("[Service]\nExecStart=/bin/a \\\n# inner\n  b\nRestart=always\n")
    assert unit.remove("Service", "ExecStart") == 1
    assert unit.to_text() == "[Service]\n# inner\nRestart=always\n"


def test_remove_last_line_keeps_missing_newline() -> None:
    unit = parse("[Service]\nRestart=always\nSlice=c.slice")
    assert unit.remove("Service", "Slice") == 1
    assert unit.to_text() == "[Service]\nRestart=always"


def test_remove_absent_key_changes_nothing() -> None:
    unit = parse("[Service]\nRestart=always\n")
    assert unit.remove("Service", "Slice") == 0
    assert unit.to_text() == "[Service]\nRestart=always\n"


@pytest.mark.parametrize("value", ["a\nb", "trailing\\", "x\r"])
def test_add_rejects_multiline_value(value: str) -> None:
    unit = parse("[Service]\n")
    with pytest.raises(BadInput):
        unit.add("Service", "Slice", value)


@pytest.mark.parametrize(
    ("data", "line", "problem"),
    [
        (b"[Service]\nRestart=always\nDescription=caf\xe9\n", 3, "invalid UTF-8"),
        (b"# header\n\nRestart=always\n[Service]\n", 3, "outside any section"),
        (b"[Unit]\nA=1\n[Service\nB=2\n", 3, "unterminated section header"),
        (b"[Service]\nA=1\nExecStart=/bin/a \\\n  b \\\n", 3, "end of file"),
        (b"[Service]\nA=1\n\nnot an assignment\n", 4, "expected Key=value"),
        (b"[Service]\n=value\n", 2, "expected Key=value"),
    ],
    ids=[
        "non-utf8",
        "outside-section",
        "unterminated-header",
        "eof-continuation",
        "no-equals",
        "empty-key",
    ],
)
def test_bad_input_names_path_and_line(data: bytes, line: int, problem: str) -> None:
    path = Path("/q/bad.container")
    with pytest.raises(UnitFileError) as caught:
        UnitFile.parse(data, path)
    error = caught.value
    assert isinstance(error, BadInput)
    assert error.exit_code == 2
    assert error.path == path
    assert error.line == line
    assert problem in error.problem
    assert error.message.startswith(f"/q/bad.container:{line}: ")
    assert error.hint


def test_non_utf8_on_crlf_line() -> None:
    with pytest.raises(UnitFileError) as caught:
        UnitFile.parse(b"[Service]\r\nA=1\r\n\r\nB=\xff\r\n", Path("x.container"))
    assert caught.value.line == 4


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_dropins_sorted_by_file_name(tmp_path: Path) -> None:
    unit = write(tmp_path / "web.container", "[Service]\nSlice=app.slice\n")
    write(tmp_path / "web.container.d" / "20-b.conf", "[Service]\nSlice=b.slice\n")
    write(tmp_path / "web.container.d" / "10-a.conf", "[Service]\nSlice=a.slice\n")
    write(tmp_path / "web.container.d" / "30-ignored.txt", "[Service]\nSlice=x.slice\n")
    assert [p.name for p in dropin_paths(unit)] == ["10-a.conf", "20-b.conf"]
    slices = effective_section(unit)["Slice"]
    assert slices[-1].value == "b.slice"
    assert slices[-1].path == tmp_path / "web.container.d" / "20-b.conf"
    assert slices[-1].line == 2


def test_dropin_empty_assignment_resets_list(tmp_path: Path) -> None:
    unit = write(tmp_path / "web.container", "[Service]\nSockets=a.socket\nSockets=b.socket\n")
    write(tmp_path / "web.container.d" / "10.conf", "[Service]\nSockets=\nSockets=c.socket\n")
    sockets = effective_section(unit)["Sockets"]
    assert [s.value for s in sockets] == ["c.socket"]


def test_dropin_parse_error_names_dropin(tmp_path: Path) -> None:
    unit = write(tmp_path / "web.container", "[Service]\nRestart=always\n")
    bad = write(tmp_path / "web.container.d" / "10.conf", "Slice=a.slice\n")
    with pytest.raises(UnitFileError) as caught:
        effective_section(unit)
    assert caught.value.path == bad
    assert caught.value.line == 1


# Generated unit files: pieces that each parse on their own, so any sequence is valid.
TEXT = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\r\n\\"),
    max_size=20,
)
WORD = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,10}", fullmatch=True)
SPACE = st.sampled_from(["", " ", "\t", "  "])
PIECES = st.one_of(
    st.builds(lambda n, s: f"[{n}]{s}", WORD, SPACE),
    st.builds(lambda s, k, v: f"{s}{k}={v}".rstrip("\\"), SPACE, WORD, TEXT),
    st.builds(lambda p, t: f"{p}{t}", st.sampled_from(["#", ";", " #"]), TEXT),
    SPACE,
    st.builds(lambda k, a, b: f"{k}={a} \\\n{b}", WORD, TEXT, TEXT.map(lambda t: "x" + t)),
    st.builds(lambda k, v: f"{k}=%h/%U {v}", WORD, TEXT),
)


@st.composite
def unit_files(draw: st.DrawFn) -> bytes:
    lines = ["[Service]", *draw(st.lists(PIECES, max_size=15))]
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    text = ending.join(line.replace("\n", ending) for line in lines)
    if draw(st.booleans()):
        text += ending
    return text.encode()


@given(unit_files())
def test_generated_files_round_trip(data: bytes) -> None:
    assert UnitFile.parse(data).to_bytes() == data


@given(unit_files())
def test_generated_add_inserts_one_line(data: bytes) -> None:
    unit = UnitFile.parse(data)
    # No generated key contains "-", so the added line is the only one with this key.
    unit.add("Service", "X-Slice", "container.slice")
    ending = "\r\n" if b"\r\n" in data else "\n"
    added = f"X-Slice=container.slice{ending}"
    new = unit.to_bytes().decode()
    old = data.decode()
    assert unit.get("Service", "X-Slice") == ["container.slice"]
    assert old.endswith(ending) == new.endswith(ending)
    if old.endswith(ending):
        assert new.replace(added, "", 1) == old
    assert UnitFile.parse(new.encode()).to_bytes() == new.encode()
