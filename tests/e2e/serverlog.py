"""Where a test's Streamlit server writes its log, and the end of that log for messages."""

from __future__ import annotations

from pathlib import Path


def server_log(artifacts_dir: Path, base_url: str) -> Path:
    """The log of the server at ``base_url`` (``http://127.0.0.1:<port>``)."""
    port = base_url.rsplit(":", 1)[1]
    return artifacts_dir / f"streamlit-{port}.log"


def tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a log, or ``(no log)`` when it cannot be read."""
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
