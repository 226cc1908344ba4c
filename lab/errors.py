"""The error family every slicelab command raises; the CLI prints message and hint once."""

from __future__ import annotations


class LabError(Exception):
    """A failure the user can act on: what went wrong, and a command or step that fixes it."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class BadInput(LabError):
    """Invalid input from the user: a flag, a size, a file. The CLI exits with code 2."""

    exit_code = 2


class CommandFailed(LabError):
    """A process exited with a status that was not accepted; carries argv, status and stderr."""

    def __init__(self, argv: list[str], status: int, stderr: str, hint: str | None = None) -> None:
        import shlex

        tail = stderr.strip().splitlines()[-15:]
        message = f"command failed with exit status {status}: {shlex.join(argv)}"
        if tail:
            message += "\n" + "\n".join(f"    {line}" for line in tail)
        super().__init__(message, hint)
        self.argv = argv
        self.status = status
        self.stderr = stderr
