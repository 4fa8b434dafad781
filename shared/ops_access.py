"""`/metrics` and the API documentation for the operators' networks only, when a setting says so:
the metrics reveal volumes and the documentation the whole API surface."""

from __future__ import annotations

import ipaddress
import json

from starlette.types import ASGIApp, Receive, Scope, Send

from shared.http import error_body

OPS_PATHS = ("/metrics", "/docs", "/openapi.json")
_REFUSAL = json.dumps(
    error_body(
        "Đường dẫn này chỉ mở cho mạng của bộ phận vận hành",
        "This path is open to the operations networks only",
    ),
    ensure_ascii=False,
).encode()


def parse_networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """`10.0.0.0/8, 127.0.0.1/32` as networks (a ValueError names a malformed one)."""
    return [ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()]


class OpsNetworksOnly:
    """ASGI middleware: 403 on the operators' paths for a client outside `networks`. The client is
    the TCP peer (uvicorn trusts no forwarded header unless told to): put the rule where the peer
    is the scraper, not behind a proxy that hides it."""

    def __init__(self, app: ASGIApp, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]):
        self.app, self.networks = app, networks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(OPS_PATHS) and not self._allowed(scope):
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [(b"content-type", b"application/json; charset=utf-8")],
                }
            )
            await send({"type": "http.response.body", "body": _REFUSAL})
            return
        await self.app(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        client = scope.get("client")
        if not client:
            return False
        try:
            address = ipaddress.ip_address(client[0])
        except ValueError:
            return False
        return any(address in network for network in self.networks)
