"""A local SMTP server standing in for the mail provider, and a mailbox page to read what arrived.

    python -m deploy.local.mail [--smtp-port 8025] [--http-port 8027] [--dir .local/run/mail]

A real SMTP server (aiosmtpd) keeps each message as <dir>/<n>.eml. Like a mailbox that threads by
Message-ID, it keeps one copy per Message-ID: a message sent again after the sender crashed
between sending and recording is answered 250 and not stored twice (the notifier's exactly-once
test relies on it; docs/decisions.md says what a real provider does). Recipients in the
reserved `.invalid` domain bounce (550). The page at http://127.0.0.1:8027/ lists the messages;
/api/messages gives them as JSON, /api/repeats the copies not stored again. Local tool, not product.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import html
import threading
from pathlib import Path

import uvicorn
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from ._common import REPO_ROOT


class Mailbox:
    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()
        self.repeats: dict[str, int] = {}  # Message-ID -> copies answered 250 but not stored (since start)

    def files(self) -> list[Path]:
        return sorted(self.folder.glob("*.eml"), key=lambda p: int(p.stem))

    def messages(self) -> list[dict]:
        found = []
        for path in self.files():
            mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            body = mail.get_body(("plain",))
            found.append(
                {
                    "id": int(path.stem),
                    "message_id": str(mail["Message-ID"] or ""),
                    "from": str(mail["From"] or ""),
                    "to": str(mail["To"] or ""),
                    "subject": str(mail["Subject"] or ""),
                    "date": str(mail["Date"] or ""),
                    "text": body.get_content() if body is not None else "",
                }
            )
        return found

    def store(self, data: bytes) -> bool:
        """Whether it was new (False: a message with its Message-ID is already here)."""
        mail = email.message_from_bytes(data, policy=email.policy.default)
        message_id = str(mail["Message-ID"] or "")
        with self.lock:
            if message_id and any(m["message_id"] == message_id for m in self.messages()):
                self.repeats[message_id] = self.repeats.get(message_id, 0) + 1
                return False
            number = max((int(p.stem) for p in self.files()), default=0) + 1
            (self.folder / f"{number}.eml").write_bytes(data)
            return True


class Handler:
    def __init__(self, mailbox: Mailbox):
        self.mailbox = mailbox

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options) -> str:
        # Addresses in the reserved .invalid domain bounce, as an unknown mailbox would at a real server.
        if address.lower().rstrip(">").endswith(".invalid"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if "\n\n" not in (envelope.content or b"").decode("utf-8", "replace").replace("\r\n", "\n"):
            return "554 headers and body expected"
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        self.mailbox.store(content)
        return "250 Message accepted for delivery"


def page(mailbox: Mailbox) -> str:
    rows = "".join(
        f"<article><h2>{html.escape(m['subject'])}</h2><p class=meta>#{m['id']} · Gửi tới: {html.escape(m['to'])}"
        f" · {html.escape(m['date'])}</p><pre>{html.escape(m['text'])}</pre></article>"
        for m in reversed(mailbox.messages())
    )
    return (
        "<!doctype html><html lang=vi><meta charset=utf-8><title>Hộp thư thử nghiệm</title>"
        "<style>body{font-family:sans-serif;max-width:50rem;margin:auto;padding:1rem}"
        "article{border:1px solid #ccc;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}"
        ".meta{color:#555}pre{white-space:pre-wrap}</style>"
        "<h1>Hộp thư thử nghiệm (máy chủ SMTP cục bộ)</h1>"
        f"<p>{len(mailbox.files())} thư. Tải lại trang để xem thư mới.</p>{rows or '<p>Chưa có thư nào.</p>'}"
    )


def create_app(mailbox: Mailbox) -> FastAPI:
    app = FastAPI(title="local mailbox", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_api_route("/", lambda: HTMLResponse(page(mailbox)), methods=["GET"])
    app.add_api_route("/api/messages", mailbox.messages, methods=["GET"])
    app.add_api_route("/api/repeats", lambda: mailbox.repeats, methods=["GET"])
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smtp-port", type=int, default=8025)
    parser.add_argument("--http-port", type=int, default=8027)
    parser.add_argument("--dir", type=Path, default=REPO_ROOT / ".local" / "run" / "mail")
    parser.add_argument("--list", action="store_true", help="print the mailbox's address and the messages (make mail)")
    args = parser.parse_args()
    mailbox = Mailbox(args.dir)
    if args.list:
        print(f"Mailbox page: http://127.0.0.1:{args.http_port}/   (while make run runs)")
        for m in mailbox.messages():
            print(f"#{m['id']}  {m['date']}  to {m['to']}  {m['subject']}")
        return
    controller = Controller(Handler(mailbox), hostname="127.0.0.1", port=args.smtp_port)
    controller.start()
    try:
        uvicorn.run(create_app(mailbox), host="127.0.0.1", port=args.http_port, log_level="warning")
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
