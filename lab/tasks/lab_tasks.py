"""lab.*: bring the lab machine up and down, look inside it, reap what is left."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from invoke import task
from invoke.context import Context

from lab import lifecycle
from lab.errors import BadInput
from lab.policy import PROFILES
from lab.sizes import parse_size
from lab.status import collect_status, render_status
from lab.tasks.cli import reports_errors

DEFAULT_MEMORY = "3G"
DEFAULT_SWAP = "800M"

HELP = {
    "host": "where the lab runs: auto (default, or SLICELAB_HOST), local, or vm",
    "policy": f"systemd-oomd policy profile: {', '.join(PROFILES)} (default fedora-42)",
    "memory": f"the lab machine's memory cap, e.g. 3G (default {DEFAULT_MEMORY}: a 30G machine at 1:10)",
    "swap": f"swap the lab machine may use, e.g. 0 or 800M (default {DEFAULT_SWAP}: 8G of zram at 1:10)",
    "verbose": "echo every command and API call",
}


@task(help=HELP)
@reports_errors
def up(c: Context, host: str | None = None, policy: str = "fedora-42", memory: str = DEFAULT_MEMORY,
       swap: str = DEFAULT_SWAP, verbose: bool = False) -> None:  # fmt: skip
    """Start the lab machine with the twenty services (builds what is missing first)."""
    memory_bytes = parse_size(memory, what="--memory")
    swap_bytes = parse_size(swap, what="--swap")
    if memory_bytes < 1 << 30:
        raise BadInput(f"--memory {memory} is too small", hint="give the lab machine at least 1G")
    lab = lifecycle.up(host, policy, memory_bytes, swap_bytes)
    print(render_status(collect_status(lab)))


@task(help={"json": "print the status as JSON", "verbose": HELP["verbose"]})
@reports_errors
def status(c: Context, json_: bool = False, verbose: bool = False) -> None:
    """Show host, policy, oomd's watched cgroups, units, and memory per slice and container."""
    report = collect_status(lifecycle.attach())
    if json_:
        print(json.dumps(report, indent=2))
    else:
        print(render_status(report))


@task(help={"root": "open the shell as root instead of the lab user"})
@reports_errors
def shell(c: Context, root: bool = False) -> None:
    """Open an interactive shell in the lab machine (as user lab, or --root)."""
    lab = lifecycle.attach()
    _interactive(lab, ["bash", "-l"], root=root)


@task(name="exec", help={"root": "run as root instead of the lab user"})
@reports_errors
def exec_(c: Context, root: bool = False) -> None:
    """Run a shell command line in the lab machine: ./slicelab lab.exec -- CMD ARGS…"""
    # invoke passes what follows `--` as one string with the shell's quoting already gone, so
    # it runs as a shell command line in the machine, where pipes and `;` work too.
    if not c.remainder.strip():
        raise BadInput("no command given", hint="./slicelab lab.exec -- systemctl --user list-units")
    lab = lifecycle.attach()
    result = lab.machine.exec(["sh", "-c", c.remainder], user=not root, check=False)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    raise SystemExit(result.status)


@task(help={"verbose": HELP["verbose"]})
@reports_errors
def down(c: Context, verbose: bool = False) -> None:
    """Stop the lab machine and its VM, and remove what they created."""
    if lifecycle.down():
        print("The lab is down.")
    else:
        print("No lab was running.")


@task(help={"verbose": HELP["verbose"]})
@reports_errors
def clean(c: Context, verbose: bool = False) -> None:
    """Remove everything labelled slicelab: lab machines, volumes and VMs (caches stay)."""
    count = lifecycle.clean()
    print(f"Removed {count} slicelab resources." if count else "Nothing to remove.")


def _interactive(lab: lifecycle.Lab, argv: list[str], root: bool) -> None:
    """Hand the terminal to a command in the machine through `podman` or `docker` exec."""
    env = {**os.environ, "CONTAINER_HOST": lab.record.base_url, "DOCKER_HOST": lab.record.base_url}
    user = [] if root else ["--user", "lab", "--env", "XDG_RUNTIME_DIR=/run/user/1000",
                            "--workdir", "/home/lab"]  # fmt: skip
    for client in (["podman", "--remote"], ["docker"]):
        try:
            completed = subprocess.run([*client, "exec", "-it", *user, lab.record.machine, *argv],
                                       env=env, check=False)  # fmt: skip
        except FileNotFoundError:
            continue
        raise SystemExit(completed.returncode)
    raise BadInput("an interactive shell needs the podman or docker command-line client here",
                   hint="use `./slicelab lab.exec -- CMD` instead, or install podman")  # fmt: skip
