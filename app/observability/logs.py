"""Logging: one JSON object per line on stdout (AUTH_LOG_FORMAT=json), or readable text (text).

Log calls pass their structured fields as `extra={"fields": {...}}`. Nothing that authenticates anyone is
ever put in a field or a message: no signature, token, refresh token, key or secret (addresses, session ids
and request ids are fine). uvicorn's own access log is off: app.api.middleware.telemetry writes one line per
request instead.
"""

import atexit
import logging
import sys
import threading
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = getattr(record, "fields", None)
    return fields if isinstance(fields, dict) else {}


def _time(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _time(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        details = " ".join(f"{name}={value}" for name, value in _fields(record).items())
        line = f"{_time(record)} {record.levelname:<7} {record.name}: {record.getMessage()}"
        line = f"{line} {details}" if details else line
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return line


class BatchingHandler(logging.Handler):
    """Formats each record at once but writes them in batches, every FLUSH_INTERVAL seconds (from a thread of
    its own) or at once for errors: a write and a flush per request would cost more than
    the rest of the log line. Flushed at exit."""

    FLUSH_INTERVAL = 0.1

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self._stream = stream
        self._pending: list[str] = []
        self._wake = threading.Event()
        threading.Thread(target=self._flush_periodically, name="log-writer", daemon=True).start()
        atexit.register(self.flush)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        self._pending.append(line)  # list.append is atomic under the GIL
        if record.levelno >= logging.ERROR:  # not for warnings: every 503 of an outage logs one
            self.flush()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]  # Handler.createLock() made it
            if not self._pending:
                return
            lines, self._pending = self._pending, []
            self._stream.write("\n".join(lines) + "\n")
            self._stream.flush()

    def _flush_periodically(self) -> None:
        while not self._wake.wait(self.FLUSH_INTERVAL):
            self.flush()


def configure_logging(level: str, log_format: str) -> None:
    """Send every log record, uvicorn's included, through one stdout handler in the chosen format."""
    # Neither format shows the caller's file and line, the thread or the process: skipping them saves a
    # stack walk and three lookups per record (the logging docs' own advice for hot paths).
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    root = logging.getLogger()
    # One handler (and writer thread) per process, even when both `python -m app` and its one worker, the
    # same process, configure logging.
    handler = next((h for h in root.handlers if isinstance(h, BatchingHandler)), None) or BatchingHandler(sys.stdout)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root.handlers = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True
