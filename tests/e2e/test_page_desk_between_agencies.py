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
