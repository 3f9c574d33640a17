#!/usr/bin/env python3
"""Demo app for the tests: appends one row at a time to a SQLite database in WAL mode.

Environment:
  DB_PATH         database file (default /app/data/app.db); its directory is created
  WRITE_INTERVAL  seconds between rows (default 0.5)
  LOG_EVERY       print a progress line every N rows (default 10)
  MAX_ROWS        stop (exit 0) after writing this many rows in this run (default 0 = never)

Each row is its own committed transaction. The sequence continues from max(seq)+1, so
after a restore the gap-free sequence shows what was kept. SIGTERM/SIGINT end the
program cleanly with exit status 0 (the current transaction, if any, is finished first).
"""

import os
import signal
import sqlite3
import sys
import time

DB_PATH = os.environ.get("DB_PATH", "/app/data/app.db")
WRITE_INTERVAL = float(os.environ.get("WRITE_INTERVAL", "0.5"))
LOG_EVERY = max(1, int(os.environ.get("LOG_EVERY", "10")))
MAX_ROWS = int(os.environ.get("MAX_ROWS", "0"))

stopping = False


def on_signal(signum, _frame):
    global stopping
    stopping = True


def log(msg):
    print(f"writer: {msg}", flush=True)


def main():
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    directory = os.path.dirname(DB_PATH)
    if directory:
        os.makedirs(directory, exist_ok=True)

    # isolation_level=None: autocommit mode, transactions are explicit below.
    conn = sqlite3.connect(DB_PATH, isolation_level=None, timeout=5.0)
    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    conn.execute("PRAGMA busy_timeout=5000")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS rows ("
        "seq INTEGER PRIMARY KEY, written_at REAL NOT NULL, note TEXT)"
    )
    seq = (conn.execute("SELECT max(seq) FROM rows").fetchone()[0] or 0) + 1
    log(
        f"db={DB_PATH} journal_mode={mode} sqlite={sqlite3.sqlite_version} "
        f"next_seq={seq} interval={WRITE_INTERVAL}s"
    )

    written = 0
    while not stopping:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO rows (seq, written_at, note) VALUES (?, ?, ?)",
            (seq, time.time(), f"row {seq}"),
        )
        conn.execute("COMMIT")
        written += 1
        if written % LOG_EVERY == 0:
            log(f"wrote seq={seq} ({written} rows this run)")
        seq += 1
        if MAX_ROWS and written >= MAX_ROWS:
            break
        # Sleep in small steps so a signal ends the wait promptly.
        deadline = time.monotonic() + WRITE_INTERVAL
        while not stopping and time.monotonic() < deadline:
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))

    conn.close()
    log(f"stopped after {written} rows this run, last seq={seq - 1}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
