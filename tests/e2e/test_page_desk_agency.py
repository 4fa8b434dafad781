"""The officer desk inside an agency, in a real browser: the leader assigns a dossier, the officer
starts it and hands it to a colleague at the next step, the leader approves, the colleague resolves;
the control slip of form 06 lists each hand-over in Vietnamese."""

from __future__ import annotations

import uuid

import httpx
import pytest

from deploy.local._common import run_coro
from tests.e2e.browser import By, Select, click, screenshot, sign_in, text_in, visible, wait
from tests.e2e.test_inside_agency import _publish_accepted, agency_staff  # noqa: F401 (a fixture)
from tests.e2e.test_lifecycle_end_to_end import wait_for

pytestmark = pytest.mark.e2e


def _as(browser, url, staff, key):
    """Sign out whoever is signed in, then sign in as `key` on the desk at `url`."""
    browser.delete_all_cookies()  # signed out: the session is its cookie
    browser.get(url)
    sign_in(browser, staff.username(key), staff.password(key))
    visible(browser, "#case-card")


def _choose(browser, css, value):
    wait(browser).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, f'{css} option[value="{value}"]'), f"{value} offered"
    )
    Select(browser.find_element(By.CSS_SELECTOR, css)).select_by_value(value)


@pytest.mark.usefixtures("agency_staff")
def test_leader_assigns_officer_transfers_leader_approves_officer_resolves(services, staff, bootstrap, browser):
    resolution = services["resolution"]
    code = f"E2E-BAN-{uuid.uuid4().hex[:8]}"
    run_coro(_publish_accepted(bootstrap, code))
    wait_for(
        lambda: httpx.get(f"{resolution}/api/v1/cases/{code}", auth=staff.auth("leader"), timeout=5).status_code,
        lambda s: s == 200,
        what="case opened",
    )
    url = f"{resolution}/desk?code={code}"

    _as(browser, url, staff, "leader_land")
    assert text_in(browser, "#c-assignee", "Chưa giao")
    assert text_in(browser, "#assign-box summary", "Giao xử lý")
    _choose(browser, "#assign-to", staff.username("officer_land"))
    click(browser, "#assign-button")
    assert text_in(browser, "#c-assignee", staff.username("officer_land"))
    assert text_in(browser, "#c-history", "Giao xử lý")
    assert text_in(browser, "#c-control", "Thẩm định hồ sơ")
    click(browser, "#back")
    assert text_in(browser, "#agency-views", "Chờ phê duyệt")

    _as(browser, url, staff, "officer_land")
    click(browser, "#back")  # the officer's own list comes first, and holds the dossier
    assert text_in(browser, "#agency-views", "Của tôi")
    # Other tests leave many cases with this officer: the dossier is opened by its code.
    visible(browser, "#open-code").send_keys(code)
    click(browser, "#open-button")
    click(browser, '#c-actions button[data-action="start-processing"]')
    assert text_in(browser, "#c-status", "Đang xử lý")
    assert text_in(browser, "#transfer-box summary", "Chuyển bước / chuyển người")
    _choose(browser, "#transfer-to", staff.username("officer_land2"))
    Select(browser.find_element(By.CSS_SELECTOR, "#transfer-step")).select_by_value("2")
    click(browser, "#transfer-button")
    assert text_in(browser, "#c-assignee", staff.username("officer_land2"))
    assert text_in(browser, "#c-step", "Kiểm tra, trình ký")

    _as(browser, url, staff, "officer_land2")
    click(browser, '#c-actions button[data-action="resolve"]')
    assert text_in(browser, "#c-msg", "chưa được lãnh đạo phê duyệt")  # the gate, in the API's words

    _as(browser, url, staff, "leader_land")
    assert text_in(browser, "#approve-button", "Phê duyệt")
    click(browser, "#approve-button")
    assert text_in(browser, "#c-approval", "Đã phê duyệt")

    _as(browser, url, staff, "officer_land2")
    click(browser, '#c-actions button[data-action="resolve"]')
    assert text_in(browser, "#c-status", "Đã xử lý xong")
    assert text_in(browser, "#case-card", "Quá trình giải quyết trong cơ quan (mẫu 06")
    rows = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#c-control tr")]
    # Within the step: before its due day, or on it when the test runs between midnight and office hours.
    assert len(rows) == 2 and all(("Trước hạn" in r or "Đúng hạn" in r) and "Quá hạn" not in r for r in rows), rows
    assert "Kiểm tra, trình ký" in rows[1] and staff.username("officer_land2") in rows[1]
    screenshot(browser, "desk-agency-form06")
