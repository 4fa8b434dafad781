"""A cap on request bodies, enforced before any handler reads them.

Content-Length is checked up front; a chunked body is counted as it streams, so a client
cannot get past the cap by leaving the length out.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException

from shared.http import error_body


def _messages(limit: int) -> tuple[str, str]:
    kib = f"{limit / 1024:.0f} KiB"
    return f"Dữ liệu gửi lên quá lớn: tối đa {kib}", f"Request body too large: at most {kib}"


class BodyTooLarge(HTTPException):
    """Raised from inside the body stream. An HTTPException, because FastAPI turns any other
    error met while reading a body into a 400 that names nothing."""

    def __init__(self, limit: int):
        self.vi, self.en = _messages(limit)
        self.extra = {"max_bytes": limit}
        super().__init__(413, self.en)


def too_large_body(limit: int) -> bytes:
    return json.dumps(error_body(*_messages(limit), max_bytes=limit), ensure_ascii=False).encode()


class BodySizeLimit:
    """ASGI middleware: 413 with a bilingual message for a body over the limit.

    `per_path` maps a path prefix to its own limit (an import of a legacy file is larger than
    a dossier); it is read at each request, so a service may fill it after building the app.
    """

    def __init__(self, app, limit: int, per_path: dict[str, int] | None = None):
        self.app, self.limit = app, limit
        self.per_path = per_path if per_path is not None else {}

    def limit_for(self, path: str) -> int:
        return next((n for prefix, n in self.per_path.items() if path.startswith(prefix)), self.limit)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.limit_for(scope.get("path", ""))
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            return await self._refuse(send, limit)
        seen = 0

        async def counted_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)  # answered by the app's HTTPException handler
            return message

        await self.app(scope, counted_receive, send)

    async def _refuse(self, send, limit: int) -> None:
        body = too_large_body(limit)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
