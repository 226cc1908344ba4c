"""slicelab: which rootless podman containers survive memory pressure under systemd-oomd."""

__version__ = "0.1.0"
