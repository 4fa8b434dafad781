"""The desk between agencies (liên thông), in a real browser: the land officer sends a case to the tax
office with "Chuyển liên thông", the case shows "Đang ở cơ quan khác", and the tax officer finds it
under "Liên thông đến" and sends it back with "Trả kết quả liên thông"."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.browser import click, screenshot, sign_in, text_in, visible
from tests.e2e.test_inside_agency import call
from tests.e2e.test_lifecycle_end_to_end import wait_for
from tests.e2e.test_province_shape import receive

pytestmark = pytest.mark.e2e
TAX = "000.00.40.H26"


def _sign_in(browser, url, staff, key):
    browser.delete_all_cookies()
    browser.get(url)
    sign_in(browser, staff.username(key), staff.password(key))


def test_the_desk_sends_a_case_to_the_tax_office_and_the_tax_officer_sends_it_back(services, staff, browser):
    resolution = services["resolution"]
    got = receive(services, staff.auth("clerk"), "1.013831")
    assert got.status_code == 201, got.text
    code = got.json()["code"]
    officer = staff.auth("officer_land")
    wait_for(
        lambda: httpx.get(f"{resolution}/api/v1/cases/{code}", auth=officer, timeout=5).status_code,
        lambda s: s == 200,
        what="case opened",
    )
    call("POST", f"{resolution}/api/v1/cases/{code}/start-processing", officer, {})

    _sign_in(browser, f"{resolution}/desk?code={code}", staff, "officer_land")
    visible(browser, "#case-card")
    assert text_in(browser, "#send-box summary", "Chuyển liên thông")
    assert text_in(browser, "#send-step", "Xác định nghĩa vụ tài chính")
    click(browser, "#send-button")
    assert text_in(browser, "#c-away", "Đang ở cơ quan khác")
    assert text_in(browser, "#c-decision-missing", "đang ở cơ quan khác")
    screenshot(browser, "desk-sent-to-agency")

    _sign_in(browser, f"{resolution}/desk", staff, "officer_tax")
    assert text_in(browser, "#view-with_other_agency", code)
    click(browser, f'#view-with_other_agency tr[data-code="{code}"] button.send-back')
    assert text_in(browser, "#agency-msg", "Đã trả kết quả liên thông")
    screenshot(browser, "desk-back-from-agency")
    case = call("GET", f"{resolution}/api/v1/cases/{code}", officer)["case"]
    assert case["away_agency_id"] is None


def test_the_tax_officer_opens_the_case_page_and_sends_it_back_from_there(services, staff, browser):
    """The other agency's officer opens the case itself (from "Liên thông đến"), reads what the step is,
    sees none of the competent agency's actions, and sends it back with a note from the case page."""
    resolution = services["resolution"]
    got = receive(services, staff.auth("clerk"), "1.013831")
    assert got.status_code == 201, got.text
    code = got.json()["code"]
    officer, tax = staff.auth("officer_land"), staff.auth("officer_tax")
    wait_for(
        lambda: httpx.get(f"{resolution}/api/v1/cases/{code}", auth=officer, timeout=5).status_code,
        lambda s: s == 200,
        what="case opened",
    )
    assert httpx.get(f"{resolution}/api/v1/cases/{code}", auth=tax, timeout=5).status_code == 403, "not before"
    call("POST", f"{resolution}/api/v1/cases/{code}/start-processing", officer, {})
    call("POST", f"{resolution}/api/v1/cases/{code}/send", officer, {})

    _sign_in(browser, f"{resolution}/desk", staff, "officer_tax")
    click(browser, f'#view-with_other_agency tr[data-code="{code}"] a.open-case')
    assert text_in(browser, "#c-code", code)
    assert text_in(browser, "#send-back-what", "Xác định nghĩa vụ tài chính")
    assert text_in(browser, "#c-history", "Chuyển liên thông"), "the trip in words on the history"
    assert not browser.find_element("css selector", "#c-actions-box").is_displayed(), "no status actions"
    assert not browser.find_element("css selector", "#send-box").is_displayed()
    browser.find_element("css selector", "#send-back-reason").send_keys("Đã có thông báo nộp thuế")
    screenshot(browser, "desk-tax-officer-case")
    click(browser, "#send-back-button")
    assert text_in(browser, "#agency-msg", "Đã trả kết quả liên thông")
    back = call("GET", f"{resolution}/api/v1/cases/{code}", officer)
    assert back["case"]["away_agency_id"] is None
    assert back["history"][-1]["reason"] == "Đã có thông báo nộp thuế", "the note reached the control slip"
    assert httpx.get(f"{resolution}/api/v1/cases/{code}", auth=tax, timeout=5).status_code == 403, "not after"
