"""The body cap and the Vietnamese validation messages, on a small app in memory."""

from __future__ import annotations

import httpx
from fastapi import FastAPI, Request
from pydantic import BaseModel, Field

from shared.http import install_error_handlers
from shared.http_limits import BodySizeLimit
from shared.validation_vi import problem_vi


class Thing(BaseModel):
    name: str = Field(max_length=5)


def app() -> FastAPI:
    a = FastAPI()
    install_error_handlers(a)
    a.add_middleware(BodySizeLimit, limit=100, per_path={"/big": 1000})

    @a.post("/small")
    async def small(thing: Thing) -> dict:
        return {"ok": True}

    @a.post("/big")
    async def big(request: Request) -> dict:
        return {"bytes": len(await request.body())}

    return a


async def post(path: str, **kwargs) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app()), base_url="http://t") as client:
        return await client.post(path, **kwargs)


async def test_over_the_cap_is_413_declared_or_streamed_and_a_path_may_have_its_own_cap():
    declared = await post("/small", content=b"x" * 101)
    assert declared.status_code == 413 and declared.json()["error"]["max_bytes"] == 100

    async def chunks():
        yield b"x" * 60
        yield b"x" * 60

    streamed = await post("/small", content=chunks())
    assert streamed.status_code == 413 and "quá lớn" in streamed.json()["error"]["message_vi"]
    assert (await post("/big", content=b"x" * 900)).json() == {"bytes": 900}
    assert (await post("/big", content=b"x" * 1001)).status_code == 413


async def test_validation_errors_name_the_field_in_both_languages():
    r = await post("/small", json={"name": "quá dài"})
    error = r.json()["error"]
    assert r.status_code == 422 and error["problems"][0]["field"] == "name"
    assert "name: dài quá 5 ký tự" in error["message_vi"] and "at most 5 characters" in error["message_en"]


def test_an_unknown_error_type_still_gets_a_sentence():
    assert problem_vi({"type": "something_new", "ctx": {}}) == "giá trị không hợp lệ"
    assert (
        problem_vi({"type": "too_long", "ctx": {"max_length": 3}}) == "nhiều quá 3 phần tử (gửi ?)"
    )  # a detail missing
