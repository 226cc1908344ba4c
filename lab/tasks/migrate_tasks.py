"""migrate.*: plan, apply and roll back the container.slice change on files, host or lab."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from invoke import task
from invoke.context import Context

from lab.errors import BadInput, LabError
from lab.migrate import FilePlan, Manifest, MigrationPlan, RestartOrder, Settings, make_settings
from lab.migrate.restart import RESTART_SECONDS, RestartReport
from lab.migrate.targets import (
    Applied,
    Planned,
    RollbackStep,
    RolledBack,
    Target,
    apply_change,
    choose_validator,
    find_backup,
    open_target,
    plan_change,
    preview_rollback,
    rollback_change,
)
from lab.sizes import parse_size
from lab.tasks.cli import reports_errors

HELP = {
    "target": "where to make the change: dir (files only), host (also this machine's user "
    "manager: daemon-reload and restarts) or lab (the running lab machine)",
    "dir": "the quadlet folder (default ~/.config/containers/systemd; with --target lab "
    "/home/lab/.config/containers/systemd inside the lab machine)",
    "unit_dir": "the user unit folder that gets the slice drop-in (default ~/.config/systemd/user; "
    "with --target lab /home/lab/.config/systemd/user inside the lab machine)",
    "slice": "the slice the services move into (default container.slice)",
    "memory_high": "MemoryHigh= of the slice, the soft limit, e.g. 8G (K, M, G, T; default 8G)",
    "memory_max": "MemoryMax= of the slice, the hard limit, e.g. 10G (default 10G)",
    "memory_low": "MemoryLow= of the slice, protection from reclaim (default: none); it only "
    "works with root drop-ins on every ancestor, which the plan lists",
    "dropin_name": "file name of the slice drop-in in <slice>.d/ (default memory.conf)",
    "replace_existing": "replace a Slice= that names another slice (default: keep it and report)",
    "tier_file": "a file with the restart order, one tier per line (default: from dependencies)",
    "yes": "write the change; without it only the plan is printed",
    "no_validate": "skip the check with podman's quadlet generator (needed where it is missing)",
    "restart_timeout": f"seconds each tier of services may take to be active again "
    f"(default {RESTART_SECONDS:.0f})",
    "backup": "the backup folder to restore (default: the newest backup of the quadlet folder)",
    "force": "restore files that were edited after apply, losing those edits",
    "keep_dropin": "leave the slice drop-in in place",
    "verbose": "echo every command",
}
PLAN_HELP = {key: HELP[key] for key in (
    "target", "dir", "unit_dir", "slice", "memory_high", "memory_max", "memory_low",
    "dropin_name", "replace_existing", "tier_file", "verbose",
)}  # fmt: skip
PLAN_HELP["target"] = HELP["target"].replace("where to make", "where to plan") + " (default host)"
APPLY_HELP = {**PLAN_HELP, "target": HELP["target"] + " (required)"}
APPLY_HELP.update({key: HELP[key] for key in ("yes", "no_validate", "restart_timeout")})
ROLLBACK_HELP = {key: HELP[key] for key in (
    "dir", "unit_dir", "tier_file", "yes", "restart_timeout", "backup", "force", "keep_dropin",
    "verbose",
)}  # fmt: skip
ROLLBACK_HELP["target"] = APPLY_HELP["target"]


@task(help=PLAN_HELP)
@reports_errors
def plan(c: Context, target: str = "host", dir_: str | None = None, unit_dir: str | None = None,
         slice_: str = "container.slice", memory_high: str = "8G", memory_max: str = "10G",
         memory_low: str | None = None, dropin_name: str = "memory.conf",
         replace_existing: bool = False, tier_file: str | None = None,
         verbose: bool = False) -> None:  # fmt: skip
    """Show what apply would change: per file a status and diff, the drop-in, warnings."""
    settings = _settings(slice_, memory_high, memory_max, memory_low, dropin_name, replace_existing)
    chosen = open_target(target, dir_, unit_dir)
    with _shown_paths(chosen):
        planned = plan_change(chosen, settings, _tier_file(tier_file))
        print(chosen.shown(render_plan(chosen, planned)))


@task(help=APPLY_HELP)
@reports_errors
def apply(c: Context, target: str | None = None, dir_: str | None = None,
          unit_dir: str | None = None, slice_: str = "container.slice", memory_high: str = "8G",
          memory_max: str = "10G", memory_low: str | None = None, dropin_name: str = "memory.conf",
          replace_existing: bool = False, tier_file: str | None = None, yes: bool = False,
          no_validate: bool = False, restart_timeout: float = RESTART_SECONDS,
          verbose: bool = False) -> None:  # fmt: skip
    """Move the quadlet services into the slice: back up, write, reload, restart in order."""
    settings = _settings(slice_, memory_high, memory_max, memory_low, dropin_name, replace_existing)
    chosen = open_target(target, dir_, unit_dir)
    with _shown_paths(chosen):
        planned = plan_change(chosen, settings, _tier_file(tier_file))
        print(chosen.shown(render_plan(chosen, planned)))
        if not yes:
            print("Nothing was written. Run again with --yes to apply this plan.")
            return
        validator = choose_validator(chosen, validate=not no_validate)
        applied = apply_change(chosen, planned, validator, restart_timeout=restart_timeout)
        print(chosen.shown(render_applied(chosen, applied)))


@task(help=ROLLBACK_HELP)
@reports_errors
def rollback(c: Context, target: str | None = None, dir_: str | None = None,
             unit_dir: str | None = None, tier_file: str | None = None,
             backup: str | None = None, yes: bool = False, force: bool = False,
             keep_dropin: bool = False, restart_timeout: float = RESTART_SECONDS,
             verbose: bool = False) -> None:  # fmt: skip
    """Undo apply from its backup: restore the files, reload, restart in order."""
    chosen = open_target(target, dir_, unit_dir)
    with _shown_paths(chosen):
        chosen.refresh()
        folder = find_backup(chosen, backup)
        manifest, steps = preview_rollback(chosen, folder)
        print(chosen.shown(render_rollback_plan(folder, manifest, steps, keep_dropin)))
        if not yes:
            print("Nothing was written. Run again with --yes to roll back.")
            return
        rolled_back = rollback_change(chosen, folder, _tier_file(tier_file), force=force,
                                      keep_dropin=keep_dropin, restart_timeout=restart_timeout)  # fmt: skip
        print(chosen.shown(render_rolled_back(chosen, rolled_back)))


def _settings(slice_name: str, memory_high: str, memory_max: str, memory_low: str | None,
              dropin_name: str, replace_existing: bool) -> Settings:  # fmt: skip
    # Sizes are parsed here so that an error names the flag, not the systemd setting.
    return make_settings(
        slice_name,
        memory_high=parse_size(memory_high, what="--memory-high"),
        memory_max=parse_size(memory_max, what="--memory-max"),
        memory_low=None if memory_low is None else parse_size(memory_low, what="--memory-low"),
        dropin_name=dropin_name,
        replace_existing=replace_existing,
    )


def _tier_file(text: str | None) -> Path | None:
    if text is None:
        return None
    path = Path(text).expanduser()
    if not path.is_file():
        raise BadInput(f"tier file not found: {path}", hint="pass an existing file to --tier-file")
    return path


@contextmanager
def _shown_paths(target: Target) -> Iterator[None]:
    """Rewrite the target's host paths in a LabError's message and hint as the user knows them."""
    try:
        yield
    except LabError as error:
        error.message = target.shown(error.message)
        error.hint = target.shown(error.hint) if error.hint else error.hint
        raise


def render_plan(target: Target, planned: Planned) -> str:
    """Render the plan: files with status and diff, drop-in, warnings, root drop-ins, order."""
    migration = planned.plan
    lines = [f"Plan for {target.description}:", "", "Quadlet files:"]
    lines += [_file_line(file) for file in migration.files] or ["  (none)"]
    diff = "".join(file.diff for file in migration.changed_files)
    lines += ["", diff.rstrip("\n")] if diff else []
    lines += ["", *_dropin_lines(migration)]
    lines += _warning_lines(migration)
    if migration.blockers:
        lines += ["", "Apply would reject the change:"]
        lines += [f"  {blocker}" for blocker in migration.blockers]
    elif planned.order is not None:
        changed = {file.service for file in migration.changed_files if file.service}
        lines += ["", *render_order(planned.order.only(changed), "Restart order after apply")]
    return "\n".join(lines)


def _file_line(file: FilePlan) -> str:
    labels = ", ".join(file.labels)
    service = f" → {file.service}" if file.service else ""
    detail = file.detail
    for skip in file.skipped:
        # A kept Slice= repeats the detail: show only what is added, such as "(kept)".
        detail += skip.removeprefix(file.detail) if skip.startswith(file.detail) else f"; {skip}"
    if file.changes:
        detail += f"; sets {', '.join(file.changes)}"
    return f"  {labels:<28} {file.path.name}{service} ({detail})"


def _dropin_lines(migration: MigrationPlan) -> list[str]:
    dropin = migration.dropin
    if not dropin.is_changed:
        return [f"Slice drop-in {dropin.path}: up to date"]
    action = "create" if dropin.old is None else "replace"
    lines = [f"Slice drop-in {dropin.path} ({action}):"]
    if dropin.old is None:
        lines += [f"  {line}" for line in dropin.new.decode().splitlines()]
    else:
        lines.append(dropin.diff.rstrip("\n"))
    return lines


def _warning_lines(migration: MigrationPlan) -> list[str]:
    lines = []
    if migration.warnings:
        lines += ["", "Warnings:", *(f"  ! {warning}" for warning in migration.warnings)]
    if migration.root_dropins:
        lines += ["", "Root drop-ins MemoryLow needs (install as root, then "
                  "`sudo systemctl daemon-reload`):"]  # fmt: skip
        for dropin in migration.root_dropins:
            lines.append(f"  {dropin.path}:")
            lines += [f"    {line}" for line in dropin.content.splitlines()]
    return lines


def render_order(order: RestartOrder, title: str) -> list[str]:
    """Render the restart tiers, one numbered line per tier."""
    if not order.tiers:
        return [f"{title}: no service to restart"]
    count = len(order.tiers)
    lines = [f"{title} ({sum(map(len, order.tiers))} services, {count} tier{'s'[:count != 1]}):"]
    lines += [f"  {number}. {' '.join(tier)}" for number, tier in enumerate(order.tiers, 1)]
    return lines


def render_applied(target: Target, applied: Applied) -> str:
    """Render apply's outcome: summary, backup, downtime per service or the next steps."""
    result = applied.result
    lines = ["", result.summary()]
    if not result.changed:
        return "\n".join(lines)
    lines += _after_write(target, applied.order, applied.restarts, "apply")
    lines.append(f"Apply took {applied.seconds:.1f} s in total.")
    return "\n".join(lines)


def _after_write(target: Target, order: RestartOrder, restarts: RestartReport | None,
                 command: str) -> list[str]:  # fmt: skip
    if restarts is None:
        return [
            "Only files changed. Next: `systemctl --user daemon-reload`, then restart in order:",
            *render_order(order, "  restart order")[1:],
        ]
    lines = [f"Restarted {len(restarts.restarted)} services "
             "(downtime: from leaving the active state to active again):"]  # fmt: skip
    for tier in sorted({item.tier for item in restarts.restarted}):
        shown = [f"{r.unit} {r.downtime:.1f} s" for r in restarts.restarted if r.tier == tier]
        lines.append(f"  tier {tier}: {', '.join(shown)}")
    for unit, state in restarts.not_running:
        lines.append(f"  {unit}: {state} before {command}, not restarted; it uses the new "
                     "files when it next starts")  # fmt: skip
    return lines


def render_rollback_plan(backup: Path, manifest: Manifest, steps: list[RollbackStep],
                         keep_dropin: bool) -> str:  # fmt: skip
    """Render what rollback would restore from backup, with a diff per file."""
    lines = [f"Rollback from {backup}:"]
    lines += [f"  {step.action:<44} {step.path}" for step in steps] or ["  (no files)"]
    diffs = "".join(step.diff for step in steps)
    lines += ["", diffs.rstrip("\n")] if diffs else []
    lines += ["", f"Slice drop-in {manifest.dropin_path}: {_dropin_action(manifest, keep_dropin)}"]
    return "\n".join(lines)


def _dropin_action(manifest: Manifest, keep_dropin: bool) -> str:
    if manifest.dropin_sha256_after is None:
        return "left as it is (apply did not change it)"
    if keep_dropin:
        return "kept (--keep-dropin)"
    if manifest.dropin_created:
        return "removed if present (apply created it)"
    return "restored to its content before apply"


def render_rolled_back(target: Target, rolled_back: RolledBack) -> str:
    """Render rollback's outcome: restored files, the drop-in, downtime per service."""
    result = rolled_back.result
    if not result.changed:
        return "\nnothing to roll back: the files are already as before apply"
    dropin = ("removed" if result.dropin_removed else "restored" if result.dropin_restored
              else "kept")  # fmt: skip
    lines = ["", f"Restored {len(result.restored_files)} files from {result.backup}; "
             f"drop-in {result.dropin} {dropin}."]  # fmt: skip
    lines += _after_write(target, rolled_back.order, rolled_back.restarts, "rollback")
    return "\n".join(lines)

