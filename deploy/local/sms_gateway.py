"""A local stand-in for the SMS gateway: eSMS.vn's JSON API V4, checked as the provider documents it.

    python -m deploy.local.sms_gateway [--port 8026] [--dir .local/run/sms]
        [--api-key local-api-key] [--secret-key local-secret-key] [--brandname DVCHANOI]

POST /MainService.svc/json/SendMultipleMessage_V4_post_json/ with ApiKey, SecretKey, Phone, Content,
Brandname, SmsType, IsUnicode and RequestId (JSON strings). Wrong keys answer CodeResult 101, an
unregistered brand name 104, any other bad field 99 with ErrorMessage; an accepted message
answers 100 and an SMSID and is appended to <dir>/sms.jsonl. A RequestId seen before answers 100
with the first SMSID and sends nothing (the provider's guard against duplicates).
GET /api/messages lists what was "sent", /api/repeats the RequestIds sent again. Local tool, not product.
"""

from __future__ import annotations

import argparse
import hmac
import json
import re
import threading
import uuid
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ._common import REPO_ROOT

SEND_PATH = "/MainService.svc/json/SendMultipleMessage_V4_post_json/"
FIELDS = ("ApiKey", "SecretKey", "Phone", "Content", "Brandname", "SmsType", "IsUnicode", "RequestId")
PHONE = re.compile(r"^(0|84|\+84)\d{9,10}$")


class Outbox:
    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "sms.jsonl"
        self.lock = threading.Lock()
        self.repeats: dict[str, int] = {}  # RequestId -> requests answered with the first SMSID (since start)

    def messages(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line]

    def send(self, body: dict[str, str]) -> str:
        with self.lock:
            for earlier in self.messages():
                if body["RequestId"] and earlier["RequestId"] == body["RequestId"]:
                    self.repeats[body["RequestId"]] = self.repeats.get(body["RequestId"], 0) + 1
                    return str(earlier["SMSID"])
            sms_id = uuid.uuid4().hex
            record = {k: body[k] for k in ("Phone", "Content", "Brandname", "RequestId")} | {"SMSID": sms_id}
            with self.path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
            return sms_id


def check(body: Any, api_key: str, secret_key: str, brandname: str) -> tuple[str, str] | None:
    """(CodeResult, ErrorMessage) of a refusal, or None for a request the provider would take."""
    if not isinstance(body, dict) or any(not isinstance(body.get(f), str) for f in FIELDS):
        return "99", f"expected JSON strings: {', '.join(FIELDS)}"
    if not (hmac.compare_digest(body["ApiKey"], api_key) and hmac.compare_digest(body["SecretKey"], secret_key)):
        return "101", "ApiKey or SecretKey is wrong"
    if body["Brandname"] != brandname:
        return "104", "Brandname not registered"
    if body["SmsType"] != "2":
        return "118", "SmsType must be 2 (customer care)"
    if not PHONE.match(body["Phone"]):
        return "99", "Phone is not a Vietnamese mobile number"
    if body["IsUnicode"] not in ("0", "1") or (body["IsUnicode"] == "0" and not body["Content"].isascii()):
        return "99", "IsUnicode must be 1 for text with diacritics"
    if not body["Content"].strip() or len(body["Content"]) > 1000:
        return "99", "Content empty or too long"
    if len(body["RequestId"]) > 50:
        return "99", "RequestId longer than 50 characters"
    return None


def create_app(outbox: Outbox, api_key: str, secret_key: str, brandname: str) -> FastAPI:
    app = FastAPI(title="local SMS gateway", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post(SEND_PATH)
    async def send(request: Request) -> JSONResponse:
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"CodeResult": "99", "ErrorMessage": "body is not JSON"})
        refused = check(body, api_key, secret_key, brandname)
        if refused:
            return JSONResponse({"CodeResult": refused[0], "ErrorMessage": refused[1]})
        return JSONResponse({"CodeResult": "100", "CountRegenerate": 0, "SMSID": outbox.send(body)})

    app.add_api_route("/api/messages", outbox.messages, methods=["GET"])
    app.add_api_route("/api/repeats", lambda: outbox.repeats, methods=["GET"])
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8026)
    parser.add_argument("--dir", type=Path, default=REPO_ROOT / ".local" / "run" / "sms")
    parser.add_argument("--api-key", default="local-api-key")
    parser.add_argument("--secret-key", default="local-secret-key")
    parser.add_argument("--brandname", default="DVCHANOI")
    args = parser.parse_args()
    app = create_app(Outbox(args.dir), args.api_key, args.secret_key, args.brandname)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
