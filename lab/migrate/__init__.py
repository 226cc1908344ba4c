"""The container.slice migration for quadlet folders: plan, apply, rollback, restart order.

This package changes files only. After `apply` or `rollback` the caller runs
`systemctl --user daemon-reload` and restarts `changed_units` in the order of `restart_tiers`.
"""

from lab.migrate.apply import ApplyResult, Validator, apply
from lab.migrate.backup import Manifest, default_backup_root, newest_backup
from lab.migrate.dropin import DropinPlan, RootDropin
from lab.migrate.order import QuadletService, RestartOrder, read_services, restart_tiers
from lab.migrate.plan import FilePlan, FileStatus, MigrationPlan, plan
from lab.migrate.rollback import RollbackResult, rollback
from lab.migrate.settings import Settings, make_settings

__all__ = [
    "ApplyResult",
    "DropinPlan",
    "FilePlan",
    "FileStatus",
    "Manifest",
    "MigrationPlan",
    "QuadletService",
    "RestartOrder",
    "RollbackResult",
    "RootDropin",
    "Settings",
    "Validator",
    "apply",
    "default_backup_root",
    "make_settings",
    "newest_backup",
    "plan",
    "read_services",
    "restart_tiers",
    "rollback",
]
