"""Lab hosts: where a podman API socket on a cgroup-v2 kernel comes from (local podman or a VM)."""
