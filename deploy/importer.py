"""`make import FILE=path.jsonl [URL=http://127.0.0.1:8001]`: post a legacy file to intake.

    python -m deploy.importer FILE --username LEADER [--url URL] [--source NAME] [--chunk-lines N]

Importing needs a centre-wide leader's account: the password is taken from PASSWORD in the
environment, or asked for.

The file goes in chunks (whole lines, each under the endpoint's limits) with `first_line`,
so every error names its line in the file. Shows a running count, then a summary with the
first errors; exit code 1 when a line failed, 2 when intake could not be reached.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from deploy.settings import password_or_ask
from shared.settings import PORTS

CHUNK_LINES = 1000
CHUNK_BYTES = 8 * 1024 * 1024  # well under the endpoint's 20 MB
SHOWN_ERRORS = 20


def chunks(path: Path, max_lines: int, max_bytes: int) -> Iterator[tuple[int, list[bytes]]]:
    """(first line number, lines) of whole lines, at most max_lines and about max_bytes each."""
    first, lines, size = 1, [], 0
    with path.open("rb") as f:
        for n, raw in enumerate(f, start=1):
            if lines and (len(lines) >= max_lines or size + len(raw) > max_bytes):
                yield first, lines
                first, lines, size = n, [], 0
            lines.append(raw)
            size += len(raw)
    if lines:
        yield first, lines


def basic_auth(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def post(
    url: str, source: str, first_line: int, lines: list[bytes], timeout: float = 300, authorization: str | None = None
) -> dict:
    query = urllib.parse.urlencode({"source": source, "first_line": first_line})
    body = b"".join(line if line.endswith(b"\n") else line + b"\n" for line in lines)
    headers = {"Content-Type": "application/x-ndjson", **({"Authorization": authorization} if authorization else {})}
    request = urllib.request.Request(
        f"{url.rstrip('/')}/api/v1/imports?{query}", data=body, method="POST", headers=headers
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


def _progress(done: int, total: int, totals: dict, width: int = 30) -> str:
    filled = width * done // max(total, 1)
    return (
        f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} lines  imported {totals['imported']}  "
        f"already present {totals['already_present']}  errors {len(totals['errors'])}"
    )


def run(
    path: Path, url: str, source: str, chunk_lines: int = CHUNK_LINES, out=sys.stderr, authorization: str | None = None
) -> int:
    with path.open("rb") as f:
        total = sum(1 for _ in f)
    totals: dict = {"lines": 0, "imported": 0, "already_present": 0, "errors": []}
    done = 0
    for first, lines in chunks(path, chunk_lines, CHUNK_BYTES):
        try:
            answer = post(url, source, first, lines, authorization=authorization)
        except urllib.error.HTTPError as exc:
            print(
                f"\nintake refused lines {first}-{first + len(lines) - 1}: HTTP {exc.code} "
                f"{exc.read()[:500].decode(errors='replace')}",
                file=out,
            )
            return 2
        except (urllib.error.URLError, OSError) as exc:
            print(f"\ncannot reach intake at {url}: {exc}", file=out)
            return 2
        for key in ("lines", "imported", "already_present"):
            totals[key] += answer[key]
        totals["errors"] += answer["errors"]
        done += len(lines)
        print(_progress(done, total, totals), end="", file=out, flush=True)
    print(file=out)
    print(
        f"{path}: {totals['lines']} lines, {totals['imported']} imported, "
        f"{totals['already_present']} already present, {len(totals['errors'])} errors",
        file=out,
    )
    for e in totals["errors"][:SHOWN_ERRORS]:
        print(f"  line {e['line']}: [{e['code']}] {e['message_en']} / {e['message_vi']}", file=out)
    if len(totals["errors"]) > SHOWN_ERRORS:
        print(f"  … and {len(totals['errors']) - SHOWN_ERRORS} more", file=out)
    return 1 if totals["errors"] else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.importer", description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--url", default=f"http://127.0.0.1:{PORTS['intake']}")
    parser.add_argument("--source", help="name of the legacy system (default: the file's name)")
    parser.add_argument("--chunk-lines", type=int, default=CHUNK_LINES)
    parser.add_argument("--username", help="a centre-wide leader's account (password: PASSWORD or asked for)")
    args = parser.parse_args(argv)
    if not args.file.is_file():
        print(f"no such file: {args.file}", file=sys.stderr)
        return 2
    authorization = None
    if args.username:
        authorization = basic_auth(args.username, password_or_ask())
    return run(
        args.file,
        args.url,
        args.source or args.file.name,
        min(max(1, args.chunk_lines), 5000),
        authorization=authorization,
    )


if __name__ == "__main__":
    sys.exit(main())
