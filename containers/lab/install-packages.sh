#!/bin/sh
# Install the lab machine's packages with dnf or apt. A base that already has them (the local
# Debian base made from the VM's tree) installs nothing and needs no network.
set -eu

if command -v dnf >/dev/null 2>&1; then
    # NOTE: this branch is written from Fedora's package names and has not run on these
    # machines, which reach no container registry.
    dnf -y install --setopt=install_weak_deps=False \
        systemd systemd-oomd-defaults podman crun passt fuse-overlayfs python3 \
        procps-ng util-linux shadow-utils iproute
    # Fedora's oomd policy is what the lab pins itself; the vendor files are masked later.
    dnf clean all
elif command -v apt-get >/dev/null 2>&1; then
    packages="systemd systemd-sysv systemd-oomd dbus dbus-user-session podman crun passt
        uidmap fuse-overlayfs python3 procps util-linux iproute2"
    missing=""
    for package in $packages; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" \
            || missing="$missing $package"
    done
    if [ -n "$missing" ]; then
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
        rm -rf /var/lib/apt/lists/*
    fi
else
    echo "install-packages.sh: neither dnf nor apt-get found in the base image" >&2
    exit 1
fi
