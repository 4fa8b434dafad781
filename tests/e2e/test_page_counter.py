"""The counter desk in a real browser: a clerk signs in, receives a dossier, and the slip
(form 01) shows its code and due time; online dossiers are accepted or refused (form 03);
a result is handed back (9 -> 10)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.e2e.browser import By, click, screenshot, search_catalogue, sign_in, text_in, visible
from tests.e2e.test_staff_access import wait_for

pytestmark = pytest.mark.e2e
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
LAND = "1.013831"


def slip_time(iso: str) -> tuple[str, str]:
    t = datetime.fromisoformat(iso).astimezone(HANOI)
    return f"{t.hour:02d} giờ {t.minute:02d} phút", f"ngày {t.day:02d} tháng {t.month:02d} năm {t.year}"


def test_clerk_receives_and_the_slip_shows_code_due_time_and_qr(services, staff, browser):
    intake = services["intake"]
    browser.get(f"{intake}/counter")
    sign_in(browser, staff.username("clerk"), staff.password("clerk"))
    search_catalogue(browser, "bien dong dat")  # without diacritics, as people type in a hurry
    item = visible(browser, f'#proc-list li[data-code="{LAND}"]')
    assert "Thời hạn: 5 ngày làm việc" in item.text and "Lệ phí" in item.text
    item.click()
    visible(browser, "#a-name").send_keys("Nguyễn Thị Hoa")
    browser.find_element(By.CSS_SELECTOR, "#a-id").send_keys("001190012345")
    browser.find_element(By.CSS_SELECTOR, "#a-phone").send_keys("0912345678")
    boxes = browser.find_elements(By.CSS_SELECTOR, "#doc-checklist input")
    assert len(boxes) == 4
    for box in boxes[:2]:
        box.click()
    screenshot(browser, "counter-receive")
    browser.find_element(By.CSS_SELECTOR, "#receive-button").click()

    code = visible(browser, "#slip-code").text
    dossier = httpx.get(f"{intake}/api/v1/dossiers/{code}", auth=staff.auth("clerk")).json()
    assert dossier["code"] == code and dossier["applicant_name"] == "Nguyễn Thị Hoa"
    assert code.startswith("000.00.31.H26-")
    page = browser.find_element(By.CSS_SELECTOR, "#slip").text
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in page
    hour, day = slip_time(dossier["due_at"])
    due = browser.find_element(By.CSS_SELECTOR, "#slip-due").text
    assert hour in due and day in due, (due, dossier["due_at"])
    assert "********2345" in page and "001190012345" not in page  # the ID number is masked on paper
    qr = browser.find_element(By.CSS_SELECTOR, ".slip-qr svg")
    assert qr.size["width"] > 50
    pin = browser.find_element(By.CSS_SELECTOR, "#slip-pin").text
    assert pin == dossier["tracking_pin"] and len(pin) == 10, "the slip prints the tracking secret"
    assert f"/portal?code={code}#pin={pin}" in browser.find_element(By.CSS_SELECTOR, ".slip-qr .url").text
    screenshot(browser, "counter-slip-form01")

    # Back at the desk, today's list has it with a link to the slip.
    browser.get(f"{intake}/counter")
    browser.find_element(By.CSS_SELECTOR, 'nav.tabs button[data-tab="today"]').click()
    visible(browser, f'#today-rows tr[data-code="{code}"]')


def test_clerk_refuses_a_walk_in_and_form_03_prints(services, staff, browser):
    intake, stats = services["intake"], services["stats"]
    browser.get(f"{intake}/counter")
    sign_in(browser, staff.username("clerk"), staff.password("clerk"))
    search_catalogue(browser, LAND)
    click(browser, f'#proc-list li[data-code="{LAND}"]')
    visible(browser, "#a-name").send_keys("Lý Văn Phúc")
    browser.find_element(By.CSS_SELECTOR, "#a-id").send_keys("001190077777")
    click(browser, "#walk-in-refuse")
    visible(browser, "#refuse-reason").send_keys("Không có bản chính Giấy chứng nhận để đối chiếu")
    click(browser, "#refuse-confirm")
    assert text_in(browser, "#slip-reason", "Không có bản chính")
    code = browser.find_element(By.CSS_SELECTOR, "#slip-code").text
    dossier = httpx.get(f"{intake}/api/v1/dossiers/{code}", auth=staff.auth("clerk")).json()
    assert (
        dossier["status"] == 3 and dossier["channel"] == "counter" and dossier["received_by"] == staff.username("clerk")
    )
    # Counted as received and refused, from its two events (submitted, refused).
    wait_for(
        lambda: httpx.get(f"{intake}/api/v1/dossiers/{code}/history", auth=staff.auth("clerk")).json(),
        lambda h: [r["status"] for r in h] == [1, 3],
        what="both events on the topic",
    )
    assert httpx.get(f"{stats}/api/v1/stats/live").status_code == 200


def _online(intake: str, name: str) -> str:
    r = httpx.post(
        f"{intake}/api/v1/dossiers",
        json={
            "procedure_code": LAND,
            "channel": "online",
            "applicant": {"name": name, "id_number": "001190054321"},
            "documents": ["Đơn đăng ký"],
        },
    )
    assert r.status_code == 201, r.text
    return r.json()["code"]


def test_clerk_accepts_and_refuses_online_submissions(services, staff, browser):
    intake = services["intake"]
    to_accept, to_refuse = _online(intake, "Lê Văn Tám"), _online(intake, "Trần Thị Bích")
    browser.get(f"{intake}/counter")
    sign_in(browser, staff.username("clerk"), staff.password("clerk"))
    visible(browser, 'nav.tabs button[data-tab="queue"]').click()
    visible(browser, f'#queue-rows tr[data-code="{to_refuse}"]')
    screenshot(browser, "counter-queue")
    click(browser, f'#queue-rows tr[data-code="{to_refuse}"] button.refuse')
    visible(browser, "#refuse-reason").send_keys("Thiếu bản chính Giấy chứng nhận quyền sử dụng đất")
    browser.find_element(By.CSS_SELECTOR, "#refuse-confirm").click()
    assert text_in(browser, "#slip-reason", "Thiếu bản chính")
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in browser.find_element(By.CSS_SELECTOR, "#slip").text
    screenshot(browser, "counter-refusal-form03")

    browser.get(f"{intake}/counter")
    visible(browser, 'nav.tabs button[data-tab="queue"]').click()
    click(browser, f'#queue-rows tr[data-code="{to_accept}"] button.accept')
    assert text_in(browser, "#slip-code", to_accept)
    assert httpx.get(f"{intake}/api/v1/dossiers/{to_accept}", auth=staff.auth("clerk")).json()["status"] == 2


def test_clerk_hands_back_a_result(services, staff, browser):
    intake, resolution = services["intake"], services["resolution"]
    r = httpx.post(
        f"{intake}/api/v1/dossiers",
        auth=staff.auth("clerk"),
        json={
            "procedure_code": LAND,
            "channel": "counter",
            "applicant": {"name": "Đỗ Văn Cường", "id_number": "001190099999"},
        },
    )
    code, pin = r.json()["code"], r.json()["tracking_pin"]
    officer = staff.auth("officer_land")
    wait_for(
        lambda: httpx.get(f"{resolution}/api/v1/cases/{code}", auth=officer).status_code,
        lambda s: s == 200,
        what="case opened",
    )
    for action, who in (("start-processing", officer), ("approve", staff.auth("leader")), ("resolve", officer)):
        assert httpx.post(f"{resolution}/api/v1/cases/{code}/{action}", auth=who, json={}).status_code == 200
    wait_for(
        lambda: httpx.get(f"{intake}/api/v1/dossiers/{code}", auth=staff.auth("clerk")).json()["status"],
        lambda s: s == 9,
        what="intake sees status 9",
    )
    browser.get(f"{intake}/counter")
    sign_in(browser, staff.username("clerk"), staff.password("clerk"))
    visible(browser, 'nav.tabs button[data-tab="handback"]').click()
    click(browser, f'#handback-rows tr[data-code="{code}"] button.handback')
    assert text_in(browser, "#handback-msg", f"Đã trả kết quả hồ sơ {code}")
    screenshot(browser, "counter-handback")
    assert httpx.get(f"{resolution}/api/v1/cases/{code}", auth=officer).json()["case"]["status"] == 10

    # The citizen, result in hand, rates the service on the portal.
    wait_for(
        lambda: httpx.post(
            f"{intake}/api/v1/dossiers/{code}/track", json={"id_number": "001190099999", "pin": pin}
        ).json(),
        lambda t: t["dossier"]["status"] == 10,
        what="intake sees the hand-over",
    )
    browser.delete_all_cookies()
    browser.get(f"{intake}/portal?code={code}#pin={pin}")
    visible(browser, "#t-id").send_keys("001190099999")
    click(browser, "#track-button")
    click(browser, '#stars button[data-score="5"]')
    click(browser, "#rate-button")
    assert text_in(browser, "#action-msg", "Cảm ơn ông/bà đã đánh giá")
    screenshot(browser, "portal-rating")
