"""Lossless reader and editor for systemd unit files, quadlet files and their drop-ins.

A `UnitFile` keeps every line as read: comments (`#` and `;`), blank lines, order, repeated
keys, backslash continuations, quoting, `%` specifiers, trailing whitespace, the line ending
(LF or CRLF) and a missing final newline. An unedited file writes back byte-identical. Values
are interpreted as systemd's configuration parser does: a trailing backslash joins the next
line with a space, comment lines inside a continuation are skipped, and sections with the same
name merge.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lab.errors import BadInput

COMMENT_PREFIXES = ("#", ";")
# systemd's WHITESPACE set. str.strip() without arguments would also strip Unicode spaces.
WHITESPACE = " \t\r\n"
BOM = "\ufeff"


class UnitFileError(BadInput):
    """A unit file that systemd would misread: carries the path, the 1-based line and a hint."""

    def __init__(self, path: Path | None, line: int, problem: str, hint: str) -> None:
        location = str(path) if path is not None else "<text>"
        super().__init__(f"{location}:{line}: {problem}", hint)
        self.path = path
        self.line = line
        self.problem = problem


@dataclass
class RawLine:
    """One physical line: its text without the line ending, and the ending ("\\n", "\\r\\n", "")."""

    text: str
    ending: str


@dataclass(frozen=True)
class Assignment:
    """A `Key=value` setting, with the value joined across continuation lines as systemd does."""

    section: str
    key: str
    value: str
    line: int
    line_indexes: tuple[int, ...]


@dataclass(frozen=True)
class Section:
    """A `[Name]` header and the index of the header line."""

    name: str
    header_index: int


@dataclass(frozen=True)
class Setting:
    """A value of a key and the file and line that set it (the unit file or one of its drop-ins)."""

    value: str
    path: Path
    line: int


class UnitFile:
    """A unit or quadlet file kept as physical lines, where each edit touches only its own lines."""

    def __init__(self, lines: list[RawLine], path: Path | None = None) -> None:
        self.path = path
        self.lines = lines
        self.final_newline = not lines or lines[-1].ending != ""
        self.newline = next((line.ending for line in lines if line.ending), "\n")
        self._parse()

    @classmethod
    def parse(cls, data: bytes | str, path: Path | None = None) -> UnitFile:
        """Parse file content and raise UnitFileError for what systemd would reject or misread."""
        text = _decode(data, path) if isinstance(data, bytes) else data
        return cls(_split_lines(text), path)

    @classmethod
    def read(cls, path: Path) -> UnitFile:
        """Read and parse the file at path."""
        return cls.parse(path.read_bytes(), path)

    def to_text(self) -> str:
        """Join the lines back into the file's text."""
        return "".join(line.text + line.ending for line in self.lines)

    def to_bytes(self) -> bytes:
        """Encode the file as UTF-8, byte-identical to the input when nothing was edited."""
        return self.to_text().encode("utf-8")

    @property
    def sections(self) -> list[Section]:
        """Section headers in file order, where a name can repeat."""
        return list(self._sections)

    @property
    def assignments(self) -> list[Assignment]:
        """Every assignment in file order."""
        return list(self._assignments)

    def has_section(self, section: str) -> bool:
        """Tell whether at least one `[section]` header exists."""
        return any(found.name == section for found in self._sections)

    def find(self, section: str, key: str) -> list[Assignment]:
        """Return the assignments of key in every section named section, in file order."""
        return [a for a in self._assignments if a.section == section and a.key == key]

    def get(self, section: str, key: str) -> list[str]:
        """Return every value of key in section, in file order, including empty resets."""
        return [assignment.value for assignment in self.find(section, key)]

    def get_last(self, section: str, key: str) -> str | None:
        """Return the value systemd uses for a single-valued key, or None when it is unset."""
        values = self.get(section, key)
        return values[-1] if values else None

    def add(self, section: str, key: str, value: str) -> None:
        """Insert `key=value` after the last assignment of section, adding a missing section."""
        _check_assignment(key, value)
        if not self.has_section(section):
            self.add_section(section)
        index = self._insertion_index(section)
        self.lines.insert(index, RawLine(f"{key}={value}", self.newline))
        self._refresh()

    def set(self, section: str, key: str, value: str) -> None:
        """Set key to value: rewrite its first assignment in place, remove later ones, or add it."""
        _check_assignment(key, value)
        found = self.find(section, key)
        if not found:
            self.add(section, key, value)
            return
        first, *rest = found
        self.lines[first.line_indexes[0]].text = f"{key}={value}"
        doomed = list(first.line_indexes[1:])
        for assignment in rest:
            doomed.extend(assignment.line_indexes)
        self._delete_lines(doomed)

    def remove(self, section: str, key: str) -> int:
        """Remove each assignment of key in section with its continuation lines, and count them."""
        found = self.find(section, key)
        self._delete_lines([index for a in found for index in a.line_indexes])
        return len(found)

    def add_section(self, section: str) -> None:
        """Append a `[section]` header at the end, after a blank line."""
        if "]" in section or any(char in section for char in "\r\n"):
            raise BadInput(f"invalid section name: {section!r}")
        if self.lines and self.lines[-1].text.strip(WHITESPACE):
            self.lines.append(RawLine("", self.newline))
        self.lines.append(RawLine(f"[{section}]", self.newline))
        self._refresh()

    def _insertion_index(self, section: str) -> int:
        # Sections with the same name merge, so the last one is where new keys go.
        header = [found for found in self._sections if found.name == section][-1].header_index
        keys = [a for a in self._assignments if a.section == section and a.line_indexes[0] > header]
        if keys:
            return keys[-1].line_indexes[-1] + 1
        return header + 1

    def _delete_lines(self, indexes: list[int]) -> None:
        for index in sorted(set(indexes), reverse=True):
            del self.lines[index]
        self._refresh()

    def _refresh(self) -> None:
        # Keep the file's own convention: every line ends with its newline except, when the
        # file had no final newline, the last one.
        for line in self.lines[:-1]:
            if not line.ending:
                line.ending = self.newline
        if self.lines:
            self.lines[-1].ending = self.newline if self.final_newline else ""
        self._parse()

    def _parse(self) -> None:
        sections, assignments = _parse_lines(self.lines, self.path)
        self._sections = sections
        self._assignments = assignments


def _decode(data: bytes, path: Path | None) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise UnitFileError(
            path,
            line,
            f"invalid UTF-8 (byte 0x{data[error.start]:02x})",
            "systemd reads unit files as UTF-8: re-save the file as UTF-8, "
            "e.g. `iconv -f latin1 -t utf-8`",
        ) from None


def _split_lines(text: str) -> list[RawLine]:
    pieces = text.split("\n")
    lines = [
        RawLine(piece[:-1], "\r\n") if piece.endswith("\r") else RawLine(piece, "\n")
        for piece in pieces[:-1]
    ]
    if pieces[-1]:
        lines.append(RawLine(pieces[-1], ""))
    return lines


def _is_comment(text: str) -> bool:
    return text.lstrip(WHITESPACE).startswith(COMMENT_PREFIXES)


def _ends_with_escape(text: str) -> bool:
    # An odd number of trailing backslashes continues the line (`\\` is an escaped backslash).
    trailing = len(text) - len(text.rstrip("\\"))
    return trailing % 2 == 1


def _parse_lines(lines: list[RawLine], path: Path | None) -> tuple[list[Section], list[Assignment]]:
    sections: list[Section] = []
    assignments: list[Assignment] = []
    pending: str | None = None
    pending_indexes: list[int] = []
    for index, line in enumerate(lines):
        text = line.text.removeprefix(BOM) if index == 0 else line.text
        if _is_comment(text):
            continue
        joined = text if pending is None else pending + text
        pending_indexes.append(index)
        if _ends_with_escape(joined):
            pending = joined[:-1] + " "
            continue
        pending = None
        indexes, pending_indexes = tuple(pending_indexes), []
        logical = joined.strip(WHITESPACE)
        if not logical:
            continue
        if logical.startswith("["):
            sections.append(_parse_header(logical, path, indexes[0]))
            continue
        section = sections[-1].name if sections else None
        assignments.append(_parse_assignment(logical, section, path, indexes))
    if pending is not None:
        raise UnitFileError(
            path,
            pending_indexes[0] + 1,
            "line continuation (trailing backslash) at end of file",
            "remove the trailing backslash, or add the line that should follow it",
        )
    return sections, assignments


def _parse_header(logical: str, path: Path | None, index: int) -> Section:
    if not logical.endswith("]"):
        raise UnitFileError(
            path,
            index + 1,
            f"unterminated section header {logical!r}",
            "close the header with `]`, e.g. `[Service]`",
        )
    return Section(logical[1:-1], index)


def _parse_assignment(
    logical: str, section: str | None, path: Path | None, indexes: tuple[int, ...]
) -> Assignment:
    line = indexes[0] + 1
    if section is None:
        raise UnitFileError(
            path,
            line,
            f"assignment outside any section: {logical!r}",
            "put a section header such as `[Unit]` or `[Service]` above it",
        )
    key, equals, value = logical.partition("=")
    key = key.strip(WHITESPACE)
    if not equals or not key:
        raise UnitFileError(
            path,
            line,
            f"invalid line in [{section}], expected Key=value: {logical!r}",
            "write it as `Key=value`, or comment it out with `#`",
        )
    return Assignment(section, key, value.strip(WHITESPACE), line, indexes)


def _check_assignment(key: str, value: str) -> None:
    if not key or any(char in key for char in "=[]#;\r\n") or key != key.strip(WHITESPACE):
        raise BadInput(f"invalid key name: {key!r}")
    if any(char in value for char in "\r\n") or _ends_with_escape(value):
        raise BadInput(
            f"invalid value for {key}=: {value!r}",
            hint="write the value on one line, without a trailing backslash",
        )


def dropin_paths(unit_path: Path) -> list[Path]:
    """Return the `*.conf` files of the unit's `<name>.d/` folder, sorted by file name."""
    folder = unit_path.with_name(unit_path.name + ".d")
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.glob("*.conf") if p.is_file()), key=lambda p: p.name)


def effective_section(unit_path: Path, section: str = "Service") -> dict[str, list[Setting]]:
    """Merge section across the unit file and its drop-ins as systemd does.

    Drop-ins apply in file-name order after the unit file, so later settings win. An empty
    assignment (`Key=`) clears the values set before it, so an empty list means "default".
    """
    # NOTE: only `<name>.d/` is merged. Newer podman versions may read more drop-in folders
    # (podman-systemd.unit(5) of the installed version lists them), and those are not seen here.
    merged: dict[str, list[Setting]] = {}
    for path in [unit_path, *dropin_paths(unit_path)]:
        for assignment in _section_assignments(UnitFile.read(path), section):
            if assignment.value == "":
                merged[assignment.key] = []
                continue
            setting = Setting(assignment.value, path, assignment.line)
            merged.setdefault(assignment.key, []).append(setting)
    return merged


def _section_assignments(unit: UnitFile, section: str) -> Iterator[Assignment]:
    return (a for a in unit.assignments if a.section == section)
