"""The officer desk in a real browser: the agency's worklist, a case's control slip, only the
allowed actions, resolving a dossier, and an apology with a new appointment (form 04) that the
citizen then sees."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.e2e.browser import By, click, screenshot, sign_in, text_in, visible
from tests.e2e.test_staff_access import wait_for

pytestmark = pytest.mark.e2e
LAND = "1.013831"
ID_NUMBER = "001188077665"


@pytest.fixture
def land_case(services, staff):
    r = httpx.post(
        f"{services['intake']}/api/v1/dossiers",
        auth=staff.auth("clerk"),
        json={
            "procedure_code": LAND,
            "channel": "counter",
            "applicant": {"name": "Bùi Thị Thu", "id_number": ID_NUMBER},
        },
    )
    code = r.json()["code"]
    wait_for(
        lambda: httpx.get(f"{services['resolution']}/api/v1/cases/{code}", auth=staff.auth("leader")).status_code,
        lambda s: s == 200,
        what="case opened",
    )
    return code


def _buttons(driver) -> list[str]:
    return [b.get_attribute("data-action") for b in driver.find_elements(By.CSS_SELECTOR, "#c-actions button")]


def test_officer_resolves_a_dossier_from_the_worklist(services, staff, browser, land_case):
    resolution = services["resolution"]
    browser.get(f"{resolution}/desk")
    sign_in(browser, staff.username("officer_land"), staff.password("officer_land"))
    visible(browser, "#work-rows tr[data-code]")
    dues = [
        datetime.fromisoformat(r.get_attribute("data-due"))
        for r in browser.find_elements(By.CSS_SELECTOR, "#work-rows tr[data-code]")
    ]
    assert dues == sorted(dues)  # earliest due first
    screenshot(browser, "desk-worklist")
    # Other tests leave thousands of cases in this agency: the officer opens this one by its code.
    visible(browser, "#open-code").send_keys(land_case)
    click(browser, "#open-button")
    assert text_in(browser, "#c-status", "Được tiếp nhận")
    assert text_in(browser, "#c-proc", "Đăng ký biến động quyền sử dụng đất")
    assert _buttons(browser) == ["start-processing", "withdraw"]  # only what status 2 allows
    click(browser, '#c-actions button[data-action="start-processing"]')
    assert text_in(browser, "#c-status", "Đang xử lý")
    assert "resolve" in _buttons(browser) and "start-processing" not in _buttons(browser)
    # the leader signs meanwhile (on their own screen: tests/e2e/test_page_desk_agency.py)
    approved = httpx.post(f"{resolution}/api/v1/cases/{land_case}/approve", auth=staff.auth("leader"), json={})
    assert approved.status_code == 200, approved.text
    visible(browser, "#c-reason").send_keys("Đủ điều kiện, trình ký")
    click(browser, '#c-actions button[data-action="resolve"]')
    assert text_in(browser, "#c-status", "Đã xử lý xong")
    assert text_in(browser, "#c-history", "Đủ điều kiện, trình ký")
    assert _buttons(browser) == ["return-result"]  # all that status 9 allows
    screenshot(browser, "desk-case-resolved")
    case = httpx.get(f"{resolution}/api/v1/cases/{land_case}", auth=staff.auth("officer_land")).json()["case"]
    assert case["status"] == 9


def test_another_agency_officer_is_not_offered_the_dossier(services, staff, browser, land_case):
    resolution = services["resolution"]
    browser.get(f"{resolution}/desk")
    sign_in(browser, staff.username("officer_police"), staff.password("officer_police"))
    visible(browser, "#work-rows tr")
    assert not browser.find_elements(By.CSS_SELECTOR, f'#work-rows tr[data-code="{land_case}"]')
    browser.get(f"{resolution}/desk?code={land_case}")  # and typing its code gets the API's 403 words
    assert text_in(browser, "#work-msg", "chỉ được xem và xử lý hồ sơ của cơ quan 000.00.09.H26")


def test_officer_apologises_and_the_citizen_sees_the_new_appointment(services, staff, browser, land_case):
    resolution, intake = services["resolution"], services["intake"]
    case = httpx.get(f"{resolution}/api/v1/cases/{land_case}", auth=staff.auth("officer_land")).json()["case"]
    new_at = (datetime.fromisoformat(case["due_at"]) + timedelta(days=3)).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    browser.get(f"{resolution}/desk?code={land_case}")
    sign_in(browser, staff.username("officer_land"), staff.password("officer_land"))
    click(browser, "#apology-box summary")
    visible(browser, "#ap-reason").send_keys("Chờ kết quả đo đạc thửa đất")
    # A datetime-local input takes typed digits in its own order; set it as a person's picker would.
    browser.execute_script("document.querySelector('#ap-date').value = arguments[0]", new_at.strftime("%Y-%m-%dT%H:%M"))
    click(browser, "#ap-button")
    assert text_in(browser, "#form04", "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT")
    assert text_in(browser, "#form04 .f-addressee", f"người nộp hồ sơ mã {land_case}")
    assert text_in(browser, "#form04 .f-agency", "Văn phòng Đăng ký đất đai"), "the agency by its name"
    assert text_in(browser, "#f-new", f"{new_at.day:02d}/{new_at.month:02d}/{new_at.year}")
    screenshot(browser, "desk-apology-form04")
    pin = httpx.get(f"{intake}/api/v1/dossiers/{land_case}", auth=staff.auth("clerk")).json()["tracking_pin"]
    tracked = wait_for(
        lambda: httpx.post(
            f"{intake}/api/v1/dossiers/{land_case}/track", json={"id_number": ID_NUMBER, "pin": pin}
        ).json()["dossier"],
        lambda d: d["new_appointment_at"] is not None,
        what="intake shows the new appointment",
    )
    assert datetime.fromisoformat(tracked["new_appointment_at"]) == new_at.replace(second=0, microsecond=0)
    assert tracked["due_at"] == case["due_at"] or datetime.fromisoformat(tracked["due_at"]) == datetime.fromisoformat(
        case["due_at"]
    )  # the legal due time stays
    assert tracked["apology_reason"] == "Chờ kết quả đo đạc thửa đất"
