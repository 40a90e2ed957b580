"""A mail backend for the worker tests: the first send fails (the mail server is down),
every later one is written to MAIL_FILE_PATH like Flask-Mailman's file backend."""

from __future__ import annotations

from pathlib import Path

from flask_mailman.backends.file import EmailBackend as FileEmailBackend


class EmailBackend(FileEmailBackend):
    def send_messages(self, email_messages):  # type: ignore[no-untyped-def]
        marker = Path(self.file_path) / "failed-once.marker"
        if not marker.exists():
            marker.write_text("the first attempt failed\n")
            raise ConnectionRefusedError("the mail server is not answering (test)")
        return super().send_messages(email_messages)


def sent_messages(folder: Path) -> list[str]:
    """Every message the file backend wrote, one string each."""
    messages = []
    for log in sorted(folder.glob("*.log")):
        messages += [m for m in log.read_text().split("-" * 79) if m.strip()]
    return messages
