"""JSON Schema (draft 2020-12) of report.json, version 1, and validation against it.

Version 1 is the layout `lab.report.json_report` writes with `"schema": 1`. A change that
removes, renames or retypes a field needs a new version number in both places. Adding an
optional field needs none. Sizes are in bytes, times in seconds since the strategy's run
started, pressures in percent.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from lab.errors import BadInput

SCHEMA_VERSION = 1
OUTCOMES = ["survived", "oomd", "kernel-oom", "restarted", "failed", "killed"]
STATUSES = ["pass", "fail", "inconclusive"]
EVIDENCE_SOURCES = ["oomd-journal", "manager-journal", "unit-state", "memory-events", "oomd-xattr",
                    "podman", "absence"]  # fmt: skip

_NUMBER = {"type": "number"}
_NULLABLE_NUMBER = {"type": ["number", "null"]}
_COUNT = {"type": "integer", "minimum": 0}
_TEXT = {"type": "string"}
_NULLABLE_TEXT = {"type": ["string", "null"]}


def _object(properties: dict[str, Any], description: str) -> dict[str, Any]:
    """Return an object schema in which every listed property is required and no other is allowed."""
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


_PHASE = _object({"name": _TEXT, "start": _NUMBER, "end": _NUMBER}, "a phase of the scenario")
_PRESSURE = _object(
    {
        "cgroup": _TEXT,
        "limit": {**_NUMBER, "description": "systemd-oomd's full avg10 limit, percent"},
        "duration": {**_NUMBER, "description": "seconds above the limit before oomd may kill"},
        "peak_full_avg10": _NUMBER,
        "peak_t": _NULLABLE_NUMBER,
        "seconds_above": _NUMBER,
        "longest_above": _NUMBER,
        "condition_met": {"type": "boolean"},
    },
    "a cgroup systemd-oomd watched, with its peak pressure during the run",
)
_KILL = _object(
    {
        "cgroup": _TEXT,
        "watched": {**_NULLABLE_TEXT, "description": "null for a kill on swap use"},
        "pressure": _NULLABLE_NUMBER,
        "limit": _NULLABLE_NUMBER,
        "line": {**_TEXT, "description": "the journal line of the kill notice"},
    },
    "one kill notice of systemd-oomd",
)
_EVIDENCE = _object(
    {
        "source": {"enum": EVIDENCE_SOURCES},
        "subject": _TEXT,
        "text": _TEXT,
        "supports": {"enum": OUTCOMES},
        "count": _COUNT,
    },
    "one observation behind a service's outcome",
)
_SERVICE = _object(
    {
        "name": _TEXT,
        "unit": _TEXT,
        "outcome": {"enum": OUTCOMES},
        "oomd_kills": _COUNT,
        "kernel_oom_kills": _COUNT,
        "restarts": _COUNT,
        "cgroup": _NULLABLE_TEXT,
        "evidence": _array(_EVIDENCE),
    },
    "a service or load unit and its decided outcome",
)
_EXPECTATION = _object(
    {"unit": _TEXT, "expected": {"enum": OUTCOMES}, "status": {"enum": STATUSES}, "reason": _TEXT},
    "an expectation of the scenario checked against the outcome",
)
_FINDING = _object(
    {
        "unit": _TEXT,
        "expected": {"enum": [*OUTCOMES, None]},
        "observed": {"enum": [*OUTCOMES, None]},
        "note": _TEXT,
    },
    "a recorded observation that carries no pass or fail status",
)
_RUN = _object(
    {
        "strategy": _TEXT,
        "description": _TEXT,
        "swap": {**_COUNT, "description": "bytes of swap the user's processes could use"},
        "seconds": _NUMBER,
        "phases": _array(_PHASE),
        "pressure": _array(_PRESSURE),
        "kills": _array(_KILL),
        "services": _array(_SERVICE),
        "expectations": _array(_EXPECTATION),
        "findings": _array(_FINDING),
    },
    "one strategy's run",
)

REPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"urn:slicelab:report:v{SCHEMA_VERSION}",
    "title": f"slicelab report.json, schema version {SCHEMA_VERSION}",
    **_object(
        {
            "schema": {"const": SCHEMA_VERSION},
            "scenario": _TEXT,
            "description": _TEXT,
            "source": {**_TEXT, "description": "path of the scenario's YAML file"},
            "started": {**_TEXT, "description": "ISO 8601 local time the scenario run started"},
            "host": _object({"kind": _TEXT, "accel": _TEXT}, "where the lab machine ran"),
            "machine": _object(
                {
                    "modelled_memory": _COUNT,
                    "lab_memory": _COUNT,
                    "modelled_swap": _COUNT,
                    "modelled_user_memory_high": {
                        "type": ["integer", "null"],
                        "description": "MemoryHigh on user.slice, standing in for thrashing; null for none",
                    },
                    "scale": _NUMBER,
                },
                "the machine the scenario models and the lab machine that scales it down",
            ),
            "policy": _TEXT,
            "runs": _array(_RUN),
            "passed": {"type": "boolean", "description": "true when no expectation failed"},
            "complete": {"type": "boolean", "description": "false when the run stopped early"},
        },
        "the record of one scenario run",
    ),
}


def validate_report(report: dict[str, Any]) -> None:
    """Raise BadInput listing every place where report does not match REPORT_SCHEMA."""
    errors = sorted(Draft202012Validator(REPORT_SCHEMA).iter_errors(report), key=lambda e: list(e.path))
    if errors:
        details = "; ".join(f"{'/'.join(map(str, e.path)) or '(top)'}: {e.message}" for e in errors)
        raise BadInput(f"report.json does not match schema version {SCHEMA_VERSION}: {details}")
