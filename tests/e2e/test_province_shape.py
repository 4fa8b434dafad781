"""A province's shape through the running services: a commune receives for another commune, the
dossier is resolved and counted where it is competent with the receiving place recorded, the
board and the period report roll branches up into their department, and receipts no rule allows
are refused with a clear message."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, date, datetime

import asyncpg
import httpx
import pytest

from shared.local_time import local_day
from tests.e2e.browser import By, Select, click, screenshot, search_catalogue, sign_in, text_in, visible
from tests.e2e.test_lifecycle_end_to_end import wait_for

pytestmark = pytest.mark.e2e
BIRTH, LAND = "1.001193", "1.013831"
HOAN_KIEM, CUA_NAM = "000.01.01.H26", "000.01.02.H26"  # the commune clerk's ward, and another ward
LAND_OFFICE, LAND_DEPARTMENT = "000.00.31.H26", "000.00.16.H26"
APPLICANT = {"name": "Đỗ Thị Hạnh", "id_number": "001190012345", "phone": "0912000111"}


def receive(services, auth, procedure: str, agency: str | None = None) -> httpx.Response:
    body = {"procedure_code": procedure, "channel": "counter", "applicant": APPLICANT, "documents": ["Tờ khai"]}
    if agency:
        body["agency_id"] = agency
    return httpx.post(f"{services['intake']}/api/v1/dossiers", json=body, auth=auth, timeout=10)


def stats_row(code: str) -> tuple | None:
    async def read():
        conn = await asyncpg.connect(os.environ["STATS_DATABASE_URL"])
        try:
            schema = await conn.fetchval("SELECT schema_name FROM projection_generations WHERE state = 'active'")
            row = await conn.fetchrow(
                f"SELECT f.agency_id, r.receiving_agency_id FROM {schema}.facts f "
                f"LEFT JOIN {schema}.received_on_behalf r USING (code) WHERE f.code = $1",
                code,
            )
            return tuple(row) if row else None
        finally:
            await conn.close()

    return asyncio.run(read())


def test_a_ward_receives_a_birth_registration_for_another_ward(services, staff):
    r = receive(services, staff.auth("clerk_commune"), BIRTH, CUA_NAM)
    assert r.status_code == 201, r.text
    d = r.json()
    # numbered by the ward that took the papers in, resolved by the competent one
    assert d["code"].startswith(HOAN_KIEM + "-") and (d["agency_id"], d["receiving_agency_id"]) == (CUA_NAM, HOAN_KIEM)
    case = wait_for(
        lambda: httpx.get(f"{services['resolution']}/api/v1/cases/{d['code']}", auth=staff.auth("leader")),
        lambda r: r.status_code == 200,
        what="the case in resolution",
    ).json()["case"]
    assert case["agency_id"] == CUA_NAM
    # counted where it is resolved, the receiving ward recorded beside it
    assert wait_for(lambda: stats_row(d["code"]), lambda row: row is not None, what="the fact") == (CUA_NAM, HOAN_KIEM)
    # the receiving ward's clerk still sees it and prints the slip naming both wards
    seen = httpx.get(f"{services['intake']}/api/v1/dossiers/{d['code']}", auth=staff.auth("clerk_commune"))
    assert seen.status_code == 200, seen.text
    mine = httpx.get(f"{services['intake']}/api/v1/dossiers", auth=staff.auth("clerk_commune"), params={"limit": 500})
    assert d["code"] in [x["code"] for x in mine.json()]
    slip = httpx.get(f"{services['intake']}/counter/slip/{d['code']}", auth=staff.auth("clerk_commune"))
    assert slip.status_code == 200 and "tiếp nhận thay" in slip.text and "Cửa Nam" in slip.text


def test_a_ward_receives_for_itself_by_default_and_may_not_receive_for_a_department(services, staff):
    own = receive(services, staff.auth("clerk_commune"), BIRTH)
    assert own.status_code == 201, own.text
    assert (own.json()["agency_id"], own.json()["receiving_agency_id"]) == (HOAN_KIEM, None)
    refused = receive(services, staff.auth("clerk_commune"), LAND)
    assert refused.status_code == 403, refused.text
    error = refused.json()["error"]
    assert LAND_OFFICE in error["message_vi"] and "không được tiếp nhận" in error["message_vi"]
    assert "may not receive" in error["message_en"]


def test_a_centre_wide_clerk_names_the_commune_of_a_commune_level_procedure(services, staff):
    unclear = receive(services, staff.auth("clerk"), BIRTH)
    assert unclear.status_code == 422, unclear.text
    error = unclear.json()["error"]
    assert "agency_id" in error["message_en"] and "chọn cơ quan giải quyết" in error["message_vi"]
    wrong = receive(services, staff.auth("clerk"), BIRTH, LAND_OFFICE)
    assert wrong.status_code == 422 and "không giải quyết" in wrong.json()["error"]["message_vi"]
    chosen = receive(services, staff.auth("clerk"), BIRTH, CUA_NAM)
    assert chosen.status_code == 201 and chosen.json()["code"].startswith(CUA_NAM + "-")


def test_board_and_report_by_level_roll_the_land_office_into_its_department(services, staff):
    land = receive(services, staff.auth("clerk"), LAND)
    assert land.status_code == 201, land.text
    stats = services["stats"]

    def department_row():
        rows = httpx.get(f"{stats}/api/v1/stats/live/groups", params={"by": "level"}, timeout=10).json()["rows"]
        return next((r for r in rows if r["key"] == LAND_DEPARTMENT), None), rows

    (row, rows) = wait_for(department_row, lambda found: found[0] is not None, what="the department's row")
    assert row["section"] == "province" and row["name"].startswith("Sở Nông nghiệp và Môi trường")
    assert LAND_OFFICE not in [r["key"] for r in rows]  # counted inside its department
    sections = [r["section"] for r in rows]
    assert sections == sorted(sections, key=lambda s: ("province", "commune", None).index(s))

    today = local_day(datetime.now(UTC))
    first = date(today.year, today.month, 1)
    report = httpx.get(
        f"{stats}/api/v1/stats/report",
        params={"from": first.isoformat(), "to": today.isoformat(), "group_by": "level"},
        auth=staff.auth("monitor"),
        timeout=30,
    ).json()
    province = next(s for s in report["sections"] if s["key"] == "province")
    department = next(r for r in province["rows"] if r["key"] == LAND_DEPARTMENT)
    assert [p["key"] for p in department["parts"]] == [LAND_OFFICE] and department["received_total"] >= 1
    assert report["unaccounted"] == 0
    assert sum(s["subtotal"]["received_total"] for s in report["sections"]) == report["total"]["received_total"]


def test_the_counter_screen_receives_for_another_ward(services, staff, browser):
    intake = services["intake"]
    browser.get(f"{intake}/counter")
    sign_in(browser, staff.username("clerk_commune"), staff.password("clerk_commune"))
    search_catalogue(browser, "dang ky khai sinh")
    item = visible(browser, f'#proc-list li[data-code="{BIRTH}"]')
    assert "UBND cấp xã (mọi xã, phường)" in item.text
    item.click()
    agency = Select(visible(browser, "#a-agency"))
    assert agency.first_selected_option.get_attribute("value") == HOAN_KIEM  # the clerk's own ward by default
    assert len(agency.options) >= 10
    agency.select_by_value(CUA_NAM)
    assert text_in(browser, "#a-agency-note", "Tiếp nhận hộ")
    visible(browser, "#a-name").send_keys("Đỗ Văn Minh")
    browser.find_element(By.CSS_SELECTOR, "#a-id").send_keys("001190054321")
    browser.find_elements(By.CSS_SELECTOR, "#doc-checklist input")[0].click()
    click(browser, "#receive-button")
    code = visible(browser, "#slip-code").text
    assert code.startswith(HOAN_KIEM + "-")
    assert "tiếp nhận thay" in browser.find_element(By.CSS_SELECTOR, "#slip").text
    dossier = httpx.get(f"{intake}/api/v1/dossiers/{code}", auth=staff.auth("clerk_commune")).json()
    assert (dossier["agency_id"], dossier["receiving_agency_id"]) == (CUA_NAM, HOAN_KIEM)
    screenshot(browser, "counter-on-behalf")
