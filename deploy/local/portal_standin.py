"""A stand-in for the national public-service portal's synchronisation API (a local tool, not
product): what `make run` points portal_sync at, and what its tests call through.

    python -m deploy.local.portal_standin [--port 8090] [--token-file .local/portal-token]

It checks what the real portal would (docs/decisions.md, "National portal"): the bearer token, the
shape of each call (unknown fields refused, so nothing personal slips through), the order (a dossier
is created before anything else, `SoThuTu` only grows, no move out of a closed status, a result
only while processing, a rating only after the result), and the idempotency key (`MaHoSo:SoThuTu`):
a key seen before is answered as the first time and applied once. It prints every call, serves
the log, and answers the status query of the reconciliation.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
from typing import Any, Literal

import uvicorn
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from deploy.local._common import REPO_ROOT
from shared.auth.sessions import load_secret

TOKEN_FILE = REPO_ROOT / ".local" / "portal-token"
DEFAULT_PORT = 8090
CLOSED = frozenset({3, 7, 8, 10})  # refused, withdrawn, stopped, returned
PROCESSING, RESOLVED = 4, 9


class _Call(BaseModel):
    model_config = ConfigDict(extra="forbid")

    MaHoSo: str = Field(min_length=1, max_length=64)
    SoThuTu: int = Field(ge=1)
    ThoiDiem: AwareDatetime


class CreateCall(_Call):
    MaTTHC: str = Field(min_length=1, max_length=40)
    TenTTHC: str | None = Field(None, max_length=500)
    MaCoQuan: str = Field(min_length=1, max_length=64)
    TenCoQuan: str | None = Field(None, max_length=300)
    MaCoQuanTiepNhan: str = Field(min_length=1, max_length=64)
    MaLinhVuc: str | None = Field(None, max_length=300)
    KenhThucHien: Literal[1, 2, 3]
    DoiTuong: Literal[1, 2, 3]
    MucDoDVC: Literal["ToanTrinh", "MotPhan"] | None = None
    NgayNopHoSo: AwareDatetime
    TrangThaiHoSo: int = Field(ge=1, le=10)
    NgayTiepNhan: AwareDatetime | None = None
    NgayHenTra: AwareDatetime | None = None


class StatusCall(_Call):
    TrangThaiHoSo: int = Field(ge=1, le=10)
    NgayTiepNhan: AwareDatetime | None = None
    NgayHenTra: AwareDatetime | None = None


class ProgressCall(_Call):
    NoiDung: str = Field(min_length=1, max_length=500)
    BuocXuLy: str | None = Field(None, max_length=200)
    HanBuocXuLy: AwareDatetime | None = None
    MaCoQuanXuLy: str | None = Field(None, max_length=64)
    NgayHenTra: AwareDatetime | None = None
    NgayHenTraMoi: AwareDatetime | None = None


class ResultCall(_Call):
    TrangThaiHoSo: Literal[9]
    NgayCoKetQua: AwareDatetime
    NgayHenTra: AwareDatetime
    KetQuaDungHan: Literal[1, 2, 3]


class RatingCall(_Call):
    DiemDanhGia: int = Field(ge=1, le=5)


class StatusQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    DanhSachMaHoSo: list[str] = Field(max_length=1000)


SHAPES: dict[str, type[_Call]] = {
    "hoso": CreateCall,
    "trangthai": StatusCall,
    "tiendo": ProgressCall,
    "ketqua": ResultCall,
    "danhgia": RatingCall,
}


def _refuse(code: int, vi: str, en: str) -> JSONResponse:
    return JSONResponse({"error": {"message_vi": vi, "message_en": en}}, status_code=code)


class PortalStandin:
    """The portal's state: dossiers, the answers by idempotency key, counts and the call log."""

    def __init__(self, token: str, echo: bool = False):
        self.token, self.echo = token, echo
        self.dossiers: dict[str, dict[str, Any]] = {}
        self.answers: dict[str, dict[str, Any]] = {}
        self.received: collections.Counter[str] = collections.Counter()
        self.applied: collections.Counter[str] = collections.Counter()
        self.log: list[dict[str, Any]] = []

    def apply(self, kind: str, call: _Call) -> JSONResponse | dict[str, Any]:
        """The order rules; the dossier as it is after the call, or the refusal."""
        dossier = self.dossiers.get(call.MaHoSo)
        if kind == "hoso":
            if dossier is not None:
                return _refuse(409, "Hồ sơ đã có trên Cổng", "The dossier exists already")
            dossier = self.dossiers[call.MaHoSo] = {"TrangThaiHoSo": None, "SoThuTu": 0}
        elif dossier is None:
            return _refuse(409, "Hồ sơ chưa được đồng bộ lên Cổng", "Unknown dossier: create it first")
        if call.SoThuTu <= dossier["SoThuTu"]:
            return _refuse(409, "Sai thứ tự đồng bộ", f"Out of order: {call.SoThuTu} after {dossier['SoThuTu']}")
        status = dossier["TrangThaiHoSo"]
        new = getattr(call, "TrangThaiHoSo", None)
        if kind == "danhgia" and status not in (RESOLVED, 10):
            return _refuse(409, "Chỉ đánh giá khi đã có kết quả", "A rating comes after the result")
        if kind == "ketqua" and status != PROCESSING:
            return _refuse(409, "Chỉ trả kết quả khi đang xử lý", "A result comes while processing")
        if kind in ("trangthai", "tiendo") and (status in CLOSED or (status == RESOLVED and new != 10)):
            return _refuse(409, "Hồ sơ đã kết thúc", f"No move out of status {status}")
        dossier["SoThuTu"] = call.SoThuTu
        if new is not None:
            dossier["TrangThaiHoSo"] = new
        return {"MaHoSo": call.MaHoSo, "TrangThaiHoSo": dossier["TrangThaiHoSo"], "SoThuTu": call.SoThuTu}

    def app(self) -> FastAPI:
        app = FastAPI(title="Cổng DVC quốc gia (stand-in)", docs_url=None, redoc_url=None)

        def authorised(authorization: str | None) -> bool:
            return authorization == f"Bearer {self.token}"

        @app.post("/api/dongbo/tracuu")
        async def query(request: Request, authorization: str | None = Header(None)) -> Any:
            if not authorised(authorization):
                return _refuse(401, "Sai mã truy cập", "Wrong token")
            try:
                asked = StatusQuery.model_validate_json(await request.body())
            except ValidationError as exc:
                return _refuse(422, "Sai định dạng", f"Bad query: {exc.errors()[:3]}")
            found = [
                {"MaHoSo": code, "TrangThaiHoSo": self.dossiers[code]["TrangThaiHoSo"]}
                for code in asked.DanhSachMaHoSo
                if code in self.dossiers
            ]
            return {"KetQua": found}

        @app.post("/api/dongbo/{kind}")
        async def sync(
            kind: str,
            request: Request,
            authorization: str | None = Header(None),
            idempotency_key: str | None = Header(None),
        ) -> Any:
            if not authorised(authorization):
                return _refuse(401, "Sai mã truy cập", "Wrong token")
            if kind not in SHAPES:
                return _refuse(404, "Không có dịch vụ này", f"No call {kind!r}")
            try:
                call = SHAPES[kind].model_validate_json(await request.body())
            except ValidationError as exc:
                return self._logged(kind, idempotency_key, _refuse(422, "Sai định dạng", f"{exc.errors()[:3]}"))
            if idempotency_key != f"{call.MaHoSo}:{call.SoThuTu}":
                return _refuse(400, "Thiếu hoặc sai Idempotency-Key", "Idempotency-Key must be MaHoSo:SoThuTu")
            self.received[idempotency_key] += 1
            if idempotency_key in self.answers:  # a retry: the first answer, nothing applied again
                return self._logged(kind, idempotency_key, JSONResponse(self.answers[idempotency_key]), replay=True)
            outcome = self.apply(kind, call)
            if isinstance(outcome, JSONResponse):
                return self._logged(kind, idempotency_key, outcome)
            self.answers[idempotency_key] = outcome
            self.applied[idempotency_key] += 1
            return self._logged(kind, idempotency_key, JSONResponse(outcome))

        @app.get("/_standin/calls")
        async def calls() -> Any:
            return {"calls": self.log, "received": self.received, "applied": self.applied}

        return app

    def _logged(self, kind: str, key: str | None, response: JSONResponse, replay: bool = False) -> JSONResponse:
        entry = {"kind": kind, "key": key, "status": response.status_code, "replay": replay}
        self.log.append(entry)
        if self.echo:
            note = " (replay: not applied again)" if replay else ""
            print(f"portal stand-in: {kind:<9} {key} -> {response.status_code}{note}", flush=True)
        return response


class StandinServer:
    """The stand-in served in the caller's event loop, stopped and started again on the same port
    with the same state (an outage as the connector sees it: connections refused)."""

    def __init__(self, portal: PortalStandin, port: int):
        self.portal, self.port = portal, port
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, timeout: float = 30) -> None:
        config = uvicorn.Config(
            self.portal.app(), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._server.started:
            if self._task.done():
                raise RuntimeError(f"portal stand-in did not start on :{self.port}")
            if loop.time() > deadline:
                raise TimeoutError(f"portal stand-in not started in {timeout} s")
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
            self._server = self._task = None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.local.portal_standin", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--token-file", default=str(TOKEN_FILE))
    args = parser.parse_args(argv)
    from pathlib import Path

    portal = PortalStandin(load_secret(None, Path(args.token_file)).decode(), echo=True)
    print(f"portal stand-in: listening on http://127.0.0.1:{args.port}", flush=True)
    uvicorn.run(portal.app(), host="127.0.0.1", port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
