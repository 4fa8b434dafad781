"""A decided dossier's electronic result, read from resolution's internal endpoint with the services'
token: intake never reads resolution's database. Held in memory for the one answer only."""

from __future__ import annotations

from urllib.parse import quote

import httpx

from shared.errors import NotFound, Unavailable

MAX_PDF_BYTES = 100 * 1024 * 1024  # resolution's own cap is lower (RESOLUTION_RESULT_MAX_BYTES)


def no_electronic_result(code: str) -> NotFound:
    return NotFound(
        f"Hồ sơ {code} không có kết quả điện tử (kết quả trả bản giấy hoặc chưa có)",
        f"Dossier {code} has no electronic result (paper, or not decided yet)",
    )


async def fetch_result(base_url: str, token: str, code: str) -> bytes:
    """The signed PDF; NotFound when resolution has none, Unavailable when it cannot be asked."""
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=20) as client:
            answer = await client.get(
                f"/api/v1/internal/results/{quote(code, safe='')}", headers={"authorization": f"Bearer {token}"}
            )
    except httpx.HTTPError:
        raise Unavailable(
            "Chưa kết nối được bộ phận giải quyết, vui lòng thử lại", "Resolution cannot be reached; try again"
        ) from None
    if answer.status_code == 404:
        raise no_electronic_result(code)
    if answer.status_code != 200 or len(answer.content) > MAX_PDF_BYTES:
        raise Unavailable(
            "Chưa lấy được kết quả điện tử, vui lòng thử lại",
            f"The electronic result could not be read ({answer.status_code})",
        )
    return answer.content
