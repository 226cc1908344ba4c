#!/bin/sh
# Turn the base into a lab machine: user `lab` with linger and sub-ids, vendor oomd policy
# masked (the lab installs its own profile), consoles off, the stand-in image archive built.
set -eu

id lab >/dev/null 2>&1 || useradd --create-home --uid 1000 --shell /bin/bash lab
# Rootless podman maps 65536 ids; the lab machine is privileged, so any range fits.
grep -q '^lab:' /etc/subuid || echo 'lab:100000:65536' >> /etc/subuid
grep -q '^lab:' /etc/subgid || echo 'lab:100000:65536' >> /etc/subgid
mkdir -p /var/lib/systemd/linger
touch /var/lib/systemd/linger/lab

# Mask every oomd drop-in and oomd.conf.d file the distribution ships: the lab's policy
# profile is the only policy in force.
find /usr/lib/systemd -path '*.d/*oomd*.conf' | while read -r vendor; do
    masked="/etc/${vendor#/usr/lib/}"
    mkdir -p "$(dirname "$masked")"
    ln -sf /dev/null "$masked"
done

systemctl mask console-getty.service getty@tty1.service serial-getty@ttyS0.service \
    systemd-firstboot.service systemd-networkd-wait-online.service 2>/dev/null || true
systemctl enable systemd-oomd.service systemd-oomd.socket
# Rootless quadlets wait for the system's network-online.target; the container's network is
# set up before it boots, so let the target be reached at once.
systemctl add-wants multi-user.target network-online.target

python3 /usr/share/slicelab/standin/build_archive.py /usr/share/slicelab/standin.tar
