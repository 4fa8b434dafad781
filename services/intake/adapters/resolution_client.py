"""intake's calls to resolution's HTTP API (no service reads another's database)."""
from __future__ import annotations

import httpx

from shared.http import ApiError


async def return_result(base_url: str, code: str, credentials: dict[str, str]) -> tuple[int, dict]:
    """9 -> 10 at resolution, as the signed-in clerk (their cookie or Basic header passed on)."""
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
            resp = await client.post(f"/api/v1/cases/{code}/return-result", headers=credentials,
                                     json={"reason": "Trả kết quả tại Bộ phận Một cửa"})
    except httpx.HTTPError:
        raise ApiError(503, "Chưa kết nối được bộ phận giải quyết, vui lòng thử lại",
                       "Resolution cannot be reached; try again") from None
    try:
        body = resp.json()
    except ValueError:
        body = {}
    return resp.status_code, body
