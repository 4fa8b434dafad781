"""Forms 02 and 05 in a real browser: a clerk asks a walk-in for the missing papers from the
procedure's checklist and prints form 02 with them and their deadline; a leader stops a case
paused for papers (named on the desk) and sees form 05 with the agency and the reason."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from services.intake.web.vn_time import form_datetime
from shared.calendar import default_calendar
from tests.e2e.browser import By, click, screenshot, search_catalogue, sign_in, text_in, visible
from tests.e2e.test_lifecycle_end_to_end import wait_for

pytestmark = pytest.mark.e2e
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
LAND = "1.013831"


def test_clerk_asks_a_walk_in_for_papers_and_form_02_prints_them_and_the_deadline(services, staff, browser):
    intake = services["intake"]
    browser.get(f"{intake}/counter")
    sign_in(browser, staff.username("clerk"), staff.password("clerk"))
    search_catalogue(browser, LAND)
    click(browser, f'#proc-list li[data-code="{LAND}"]')
    visible(browser, "#a-name").send_keys("Vũ Thị Mai")
    browser.find_element(By.CSS_SELECTOR, "#a-id").send_keys("001190066666")
    boxes = browser.find_elements(By.CSS_SELECTOR, "#doc-checklist input")
    boxes[0].click()  # the first paper is handed in, the other three are missing
    received = boxes[0].get_attribute("value")
    click(browser, "#walk-in-supplement")
    visible(browser, "#supplement-checklist")
    offered = browser.find_elements(By.CSS_SELECTOR, "#supplement-checklist input")
    assert len(offered) == 4
    missing = [b.get_attribute("value") for b in offered if b.is_selected()]
    assert len(missing) == 3 and received not in missing  # what was not ticked as received
    screenshot(browser, "counter-supplement-checklist")
    click(browser, "#supplement-confirm")

    code = visible(browser, "#slip-code").text
    assert text_in(browser, "#slip", "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ")
    listed = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#form02-documents li")]
    assert listed == missing
    assert browser.find_element(By.CSS_SELECTOR, "#form02-applicant").text == "Vũ Thị Mai"
    assert browser.find_element(By.CSS_SELECTOR, "#form02-clerk").text == staff.username("clerk")
    history = wait_for(
        lambda: httpx.get(f"{intake}/api/v1/dossiers/{code}/history", auth=staff.auth("clerk")).json(),
        lambda h: len(h) == 2,
        what="the request in the history",
    )
    asked_at = datetime.fromisoformat(history[1]["occurred_at"])
    due = default_calendar().due_time(asked_at, 80)
    assert browser.find_element(By.CSS_SELECTOR, "#form02-due").text == form_datetime(due)
    screenshot(browser, "counter-form02")

    # At the counter, the dossier waits for its papers; when they come it is accepted (form 01).
    browser.get(f"{intake}/counter")
    click(browser, 'nav.tabs button[data-tab="waiting"]')
    click(browser, f'#waiting-rows tr[data-code="{code}"] button.record-supplement')
    assert text_in(browser, "#slip", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ")
    assert browser.find_element(By.CSS_SELECTOR, "#slip-code").text == code

    # The logbook (form 07) is one click away for the period shown.
    browser.get(f"{intake}/counter")
    visible(browser, "#proc-list li")  # signed in and the desk drawn: its tabs answer now
    click(browser, 'nav.tabs button[data-tab="logbook"]')
    day = datetime.fromisoformat(history[0]["occurred_at"]).astimezone(HANOI).date().isoformat()
    link = visible(browser, "#lb-xlsx").get_attribute("href")
    assert "/api/v1/logbook?from=" in link and f"to={day}" in link and link.endswith("format=xlsx")


def test_leader_stops_a_paused_case_and_form_05_prints(services, staff, browser):
    intake, resolution = services["intake"], services["resolution"]
    r = httpx.post(
        f"{intake}/api/v1/dossiers",
        auth=staff.auth("clerk"),
        json={
            "procedure_code": LAND,
            "channel": "counter",
            "applicant": {"name": "Hồ Văn Nam", "id_number": "001190055555"},
        },
    )
    code = r.json()["code"]
    wait_for(
        lambda: httpx.get(f"{resolution}/api/v1/cases/{code}", auth=staff.auth("leader")).status_code,
        lambda s: s == 200,
        what="case opened",
    )
    started = httpx.post(f"{resolution}/api/v1/cases/{code}/start-processing", json={}, auth=staff.auth("officer_land"))
    assert started.status_code == 200, started.text
    browser.get(f"{resolution}/desk?code={code}")
    sign_in(browser, staff.username("leader"), staff.password("leader"))
    assert text_in(browser, "#c-status", "Đang xử lý")
    visible(browser, "#c-reason").send_keys("Thiếu hợp đồng")
    visible(browser, "#c-missing").send_keys("Hợp đồng chuyển nhượng\nBản sao CCCD")
    click(browser, '#c-actions button[data-action="request-supplement"]')
    assert text_in(browser, "#c-status", "Yêu cầu bổ sung")
    forms = httpx.get(f"{resolution}/api/v1/cases/{code}/forms", auth=staff.auth("leader")).json()
    assert forms["missing_documents"] == ["Hợp đồng chuyển nhượng", "Bản sao CCCD"]
    visible(browser, "#c-reason").send_keys("Người nộp không bổ sung được hợp đồng")
    click(browser, '#c-actions button[data-action="stop"]')
    assert text_in(browser, "#c-status", "Dừng xử lý")
    assert text_in(browser, "#form05", "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ")
    assert text_in(browser, "#f5-reason", "Người nộp không bổ sung được hợp đồng")
    assert text_in(browser, "#form05 .f-agency", "Văn phòng Đăng ký đất đai")
    assert browser.find_element(By.CSS_SELECTOR, "#f5-code").text == code
    assert f"người nộp hồ sơ mã {code}" in browser.find_element(By.CSS_SELECTOR, "#form05 .f-addressee").text
    assert not browser.find_element(By.CSS_SELECTOR, "#form04").is_displayed()
    screenshot(browser, "desk-stop-form05")
