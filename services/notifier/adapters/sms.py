"""SMS through an HTTP gateway. The one adapter here speaks eSMS.vn's JSON API V4
(SendMultipleMessage_V4_post_json: ApiKey, SecretKey, Phone, Content, Brandname, SmsType 2 for
customer care, IsUnicode, RequestId; it answers CodeResult "100" and an SMSID). RequestId is the
provider's guard against duplicates: it is made from the event, so a send repeated after a crash
carries the same one. Another provider is another class with the same `send`."""

from __future__ import annotations

from typing import Protocol

import httpx

from services.notifier.domain.messages import SendFailed
from services.notifier.settings import NotifierSettings

ACCEPTED = "100"


def request_id(event_id: str) -> str:
    return f"{event_id}.sms"  # 40 characters: within eSMS's 50


class SmsSender(Protocol):
    async def send(self, phone: str, text: str, event_id: str) -> str: ...


class EsmsSender:
    def __init__(self, settings: NotifierSettings, client: httpx.AsyncClient):
        self.s, self.client = settings, client

    async def send(self, phone: str, text: str, event_id: str) -> str:
        body = {
            "ApiKey": self.s.sms_api_key.get_secret_value(),
            "SecretKey": self.s.sms_secret_key.get_secret_value(),
            "Phone": phone,
            "Content": text,
            "Brandname": self.s.sms_brandname,
            "SmsType": "2",
            "IsUnicode": "1",  # Vietnamese with its diacritics
            "RequestId": request_id(event_id),
        }
        try:
            response = await self.client.post(self.s.sms_url, json=body, timeout=self.s.send_timeout_s)
        except httpx.HTTPError as exc:
            raise SendFailed(f"SMS gateway unreachable: {type(exc).__name__}") from None
        if response.status_code >= 500:
            raise SendFailed(f"SMS gateway HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            raise SendFailed(f"SMS gateway HTTP {response.status_code}, not JSON") from None
        code = str(answer.get("CodeResult"))
        if response.status_code != 200 or code != ACCEPTED:
            # Codes are the provider's (e.g. 101 wrong keys, 103 no balance): kept for the operator.
            raise SendFailed(f"SMS gateway HTTP {response.status_code} CodeResult {code[:10]}")
        return str(answer.get("SMSID", ""))
