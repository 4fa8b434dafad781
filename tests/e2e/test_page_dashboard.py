"""The monitoring dashboard in a real browser: the live figure moves after a new dossier, pushed
by server-sent events, without a reload; the tables, chart and links are there. How fast it moves
is a benchmark (make bench, figure 3: p99 in tens of milliseconds), not something this test times:
on a busy machine a deadline here would fail for the machine's sake, not the product's."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.browser import By, Select, screenshot, text_in, visible, wait

pytestmark = pytest.mark.e2e
LAND = "1.013831"


def _figure(driver, css: str) -> int | None:
    text = driver.find_element(By.CSS_SELECTOR, css).text.replace(".", "").strip()
    return int(text) if text.isdigit() else None


def test_the_received_figure_changes_on_screen_without_reload(services, staff, browser):
    stats, intake = services["stats"], services["intake"]
    browser.get(f"{stats}/dashboard")
    wait(browser).until(lambda d: _figure(d, "#f-received") is not None, "the received figure shown")
    wait(browser).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#live-dot").get_attribute("class") == "dot live",
        "the event stream connected (live dot)",
    )
    # Quiet first: what other tests sent has been counted, so the next move is ours.
    settled = httpx.get(f"{stats}/api/v1/stats/live").json()["received_today"]
    wait(browser).until(lambda d: _figure(d, "#f-received") == settled, f"the figure at {settled}")
    browser.execute_script("window.__notReloaded = true")
    before = _figure(browser, "#f-received")

    r = httpx.post(
        f"{intake}/api/v1/dossiers",
        auth=staff.auth("clerk"),
        json={
            "procedure_code": LAND,
            "channel": "counter",
            "applicant": {"name": "Ngô Văn Hải", "id_number": "001170012121"},
        },
    )
    assert r.status_code == 201, r.text
    wait(browser).until(lambda d: (_figure(d, "#f-received") or 0) > before, f"the figure past {before}")
    assert browser.execute_script("return window.__notReloaded === true"), "the page was reloaded"

    visible(browser, "#agency-table tbody tr")
    assert "Văn phòng Đăng ký đất đai" in browser.find_element(By.CSS_SELECTOR, "#agency-table").text
    visible(browser, "#chart svg rect")
    assert "format=csv" in browser.find_element(By.CSS_SELECTOR, "#r-csv").get_attribute("href")
    assert "format=xlsx" in browser.find_element(By.CSS_SELECTOR, "#r-xlsx").get_attribute("href")
    # by level: the land office counted in its department's row, under the province's section heading
    Select(browser.find_element(By.CSS_SELECTOR, "#g-by")).select_by_value("level")
    text_in(browser, "#agency-table tr.section", "Cấp tỉnh")
    text_in(browser, "#agency-table", "Sở Nông nghiệp và Môi trường")
    assert "Văn phòng Đăng ký đất đai" not in browser.find_element(By.CSS_SELECTOR, "#agency-table").text
    assert browser.find_element(By.CSS_SELECTOR, "#groups-title").text == "Theo cấp và đơn vị"
    Select(browser.find_element(By.CSS_SELECTOR, "#r-group")).select_by_value("level")
    assert "group_by=level" in browser.find_element(By.CSS_SELECTOR, "#r-xlsx").get_attribute("href")
    assert "001170012121" not in browser.page_source and "Ngô Văn Hải" not in browser.page_source
    screenshot(browser, "dashboard")
