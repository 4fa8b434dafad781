"""The citizen portal in a real browser, on a phone-sized screen: submit online with documents,
track by code + ID number, supply missing papers when asked, withdraw."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.browser import (
    EC,
    By,
    Select,
    click,
    screenshot,
    start_browser,
    text_in,
    visible,
    wait,
)
from tests.e2e.test_staff_access import wait_for

pytestmark = pytest.mark.e2e
LAND = "1.013831"
ID_NUMBER = "001199011223"


@pytest.fixture
def phone():
    driver = start_browser(390, 844)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def scans(tmp_path):
    pdf = tmp_path / "don-dang-ky.pdf"
    pdf.write_bytes(b"%PDF-1.4\n% a scanned form\n%%EOF\n")
    fake = tmp_path / "ghi-chu.txt"
    fake.write_text("not a scan")
    return pdf, fake


def _track(driver, code: str, pin: str, id_number: str = ID_NUMBER) -> None:
    click(driver, 'nav.tabs button[data-tab="tra-cuu"]')
    for css, value in (("#t-code", code), ("#t-id", id_number), ("#t-pin", pin)):
        box = visible(driver, css)
        box.clear()
        box.send_keys(value)
    driver.find_element(By.CSS_SELECTOR, "#track-button").click()


def test_citizen_submits_online_with_a_document_then_tracks_it(services, staff, phone, scans):
    intake = services["intake"]
    pdf, fake = scans
    phone.get(f"{intake}/portal")
    wait(phone).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, f'#proc-select option[value="{LAND}"]')),
        f"procedure {LAND} offered in the list",
    )
    Select(visible(phone, "#proc-select")).select_by_value(LAND)
    visible(phone, "#s-name").send_keys("Vũ Thị Lan")
    phone.find_element(By.CSS_SELECTOR, "#s-id").send_keys(ID_NUMBER)
    phone.find_element(By.CSS_SELECTOR, "#s-phone").send_keys("0987654321")
    phone.find_element(By.CSS_SELECTOR, "#s-files").send_keys(str(fake))
    phone.find_element(By.CSS_SELECTOR, "#submit-button").click()
    assert text_in(phone, "#submit-msg", "không đúng định dạng")  # told before anything is sent
    phone.find_element(By.CSS_SELECTOR, "#s-files").clear()
    phone.find_element(By.CSS_SELECTOR, "#s-files").send_keys(str(pdf))
    screenshot(phone, "portal-submit-phone")
    phone.find_element(By.CSS_SELECTOR, "#submit-button").click()
    code, pin = visible(phone, "#new-code").text, visible(phone, "#new-pin").text
    assert len(pin) == 10, "the online answer gives the tracking secret"
    files = httpx.get(f"{intake}/api/v1/dossiers/{code}/attachments", auth=staff.auth("clerk")).json()
    assert [(f["filename"], f["content_type"]) for f in files] == [("don-dang-ky.pdf", "application/pdf")]

    _track(phone, code, pin)
    assert text_in(phone, "#r-status", "Mới đăng ký")
    assert text_in(phone, "#r-history", "Hồ sơ đã được nộp trực tuyến")
    screenshot(phone, "portal-track-phone")

    # Never by code alone: a wrong ID number answers the same as an unknown code.
    _track(phone, code, pin, "001199099999")
    assert text_in(phone, "#track-msg", "Không tìm thấy hồ sơ")
    # Nor by code and ID number without the slip's secret.
    _track(phone, code, "0" * 10)
    assert text_in(phone, "#track-msg", "Không tìm thấy hồ sơ")


def test_citizen_supplies_missing_papers_and_processing_resumes(services, staff, browser, scans):
    intake, resolution = services["intake"], services["resolution"]
    r = httpx.post(
        f"{intake}/api/v1/dossiers",
        json={
            "procedure_code": LAND,
            "channel": "online",
            "applicant": {"name": "Hoàng Văn Nam", "id_number": ID_NUMBER},
        },
    )
    code, pin = r.json()["code"], r.json()["tracking_pin"]
    assert httpx.post(f"{intake}/api/v1/dossiers/{code}/accept", auth=staff.auth("clerk"), json={}).status_code == 200
    officer = staff.auth("officer_land")
    wait_for(
        lambda: httpx.get(f"{resolution}/api/v1/cases/{code}", auth=officer).status_code,
        lambda s: s == 200,
        what="case opened",
    )
    httpx.post(f"{resolution}/api/v1/cases/{code}/start-processing", auth=officer, json={})
    httpx.post(
        f"{resolution}/api/v1/cases/{code}/request-supplement",
        auth=officer,
        json={"reason": "Bổ sung bản sao sổ hộ khẩu"},
    )

    def track():
        return httpx.post(f"{intake}/api/v1/dossiers/{code}/track", json={"id_number": ID_NUMBER, "pin": pin}).json()

    wait_for(track, lambda t: t["dossier"]["status"] == 5, what="intake sees the supplement request")

    browser.get(f"{intake}/portal?code={code}#pin={pin}")  # what the slip's QR code opens
    visible(browser, "#t-id").send_keys(ID_NUMBER)
    browser.find_element(By.CSS_SELECTOR, "#track-button").click()
    assert text_in(browser, "#r-supplement-reason", "sổ hộ khẩu")
    visible(browser, "#sup-files").send_keys(str(scans[0]))
    browser.find_element(By.CSS_SELECTOR, "#sup-button").click()
    assert text_in(browser, "#action-msg", "Đã nộp bổ sung")
    screenshot(browser, "portal-supplement")
    wait_for(
        lambda: httpx.get(f"{resolution}/api/v1/cases/{code}", auth=officer).json()["case"]["status"],
        lambda s: s == 4,
        what="resolution resumes processing (5 -> 4)",
    )


def test_citizen_withdraws(services, browser):
    intake = services["intake"]
    r = httpx.post(
        f"{intake}/api/v1/dossiers",
        json={
            "procedure_code": LAND,
            "channel": "online",
            "applicant": {"name": "Phan Thị Mai", "id_number": ID_NUMBER},
        },
    )
    code, pin = r.json()["code"], r.json()["tracking_pin"]
    browser.get(f"{intake}/portal")
    _track(browser, code, pin)
    click(browser, "#r-withdraw summary")
    click(browser, "#wd-button")
    assert text_in(browser, "#action-msg", "rút hồ sơ đã được ghi nhận")
    wait_for(
        lambda: httpx.post(f"{intake}/api/v1/dossiers/{code}/track", json={"id_number": ID_NUMBER, "pin": pin}).json(),
        lambda t: t["dossier"]["status"] == 7,
        what="withdrawn",
    )


def test_a_refused_applicant_reads_the_clerks_own_words(services, staff, browser):
    # The event says only that it was refused (its words may name the applicant); the portal shows
    # the reason intake kept.
    intake = services["intake"]
    r = httpx.post(
        f"{intake}/api/v1/dossiers",
        json={"procedure_code": LAND, "channel": "online", "applicant": {"name": "Lê Văn Tú", "id_number": ID_NUMBER}},
    )
    code, pin = r.json()["code"], r.json()["tracking_pin"]
    reason = "Thiếu bản sao Giấy chứng nhận quyền sử dụng đất"
    refused = httpx.post(f"{intake}/api/v1/dossiers/{code}/refuse", json={"reason": reason}, auth=staff.auth("clerk"))
    assert refused.status_code == 200, refused.text
    wait_for(
        lambda: httpx.post(f"{intake}/api/v1/dossiers/{code}/track", json={"id_number": ID_NUMBER, "pin": pin}).json(),
        lambda t: [h["type"] for h in t["history"]][-1:] == ["dossier.refused"],
        what="refusal tracked",
    )
    browser.get(f"{intake}/portal")
    _track(browser, code, pin)
    assert text_in(browser, "#r-history", reason)
