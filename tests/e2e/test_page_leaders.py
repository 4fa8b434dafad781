"""The leaders' page in a real browser: Decision 766's groups as bars with the missing inputs
named, the agencies ranked, who holds what, the online share by month against its target and
the lagging procedures; the period picked as a month, then a quarter; a period not begun yet
gets the API's message. Its data: dossiers imported into October 2026 for an officer of this run."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from tests.e2e.browser import By, Select, screenshot, text_in, visible, wait
from tests.e2e.test_import_end_to_end import import_file
from tests.e2e.test_lifecycle_end_to_end import wait_for

pytestmark = pytest.mark.e2e
LOST_CERTIFICATE = "1.012786"  # Cấp lại Giấy chứng nhận do bị mất: offered fully online, 80 working hours


def line(code: str, steps: list[tuple[int, str, str]]) -> str:
    return json.dumps(
        {
            "code": code,
            "procedure_code": LOST_CERTIFICATE,
            "channel": "counter",
            "applicant": {"name": "Trịnh Văn Nam", "id_number": "001180000444", "phone": "0905000444"},
            "history": [{"status": s, "at": f"2026-10-{t}:00+07:00", "actor": a} for s, t, a in steps],
        },
        ensure_ascii=False,
    )


def staffing_row(services, officer: str) -> dict | None:
    answer = httpx.get(
        f"{services['stats']}/api/v1/stats/staffing", params={"from": "2026-10-01", "to": "2026-10-31"}, timeout=30
    ).json()
    return next((o for o in answer["officers"] if o["handler"] == officer), None)


def set_value(driver, css: str, value: str) -> None:
    node = driver.find_element(By.CSS_SELECTOR, css)
    driver.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change'))", node, value
    )


def test_index_staffing_and_online_uptake_on_screen(services, staff, browser):
    run = uuid.uuid4().hex[:8].lower()
    officer, clerk = f"lanhdao.{run}", f"motcua.{run}"
    text = "\n".join(
        [
            line(f"LDR-{run}-A", [(2, "05T08:30", clerk), (4, "05T09:00", officer), (9, "07T10:00", officer)]),
            line(f"LDR-{run}-B", [(2, "05T08:30", clerk), (4, "05T09:30", officer)]),
        ]
    )
    answer = import_file(services, text, staff.auth("leader"))
    assert (answer["imported"], answer["errors"]) == (2, []), answer
    # Counted first (B turns overdue with the watcher's notice): the page reads once per choice.
    wait_for(
        lambda: staffing_row(services, officer),
        lambda o: o is not None and (o["in_hand"], o["overdue_in_hand"], o["decided"]) == (1, 1, 1),
        timeout=30,
        what="the officer's figures in stats",
    )

    browser.get(f"{services['stats']}/leaders")
    set_value(browser, "#p-day", "2026-10-15")
    Select(browser.find_element(By.CSS_SELECTOR, "#p-kind")).select_by_value("month")
    text_in(browser, "#p-range", "01/10/2026 – 31/10/2026")
    text_in(browser, "#q-ranking", "Văn phòng Đăng ký đất đai")
    visible(browser, "#q-groups svg rect.bar-score")
    indicators = browser.find_element(By.CSS_SELECTOR, "#q-indicators").text
    assert "Thiếu dữ liệu" in indicators and "Thanh toán trực tuyến" in indicators
    assert "Chưa kết nối Cổng Dịch vụ công quốc gia" in indicators

    def officer_cells(d) -> list[str]:
        for row in d.find_elements(By.CSS_SELECTOR, "#s-officers tbody tr"):
            cells = [c.text for c in row.find_elements(By.CSS_SELECTOR, "td")]
            if cells and cells[0] == officer:
                return cells
        return []

    wait(browser).until(lambda d: officer_cells(d)[2:5] == ["1", "1", "1"], "the officer's figures")
    assert clerk not in browser.find_element(By.CSS_SELECTOR, "#staffing").text
    visible(browser, "#s-chart svg rect.bar-overdue")
    text_in(browser, "#o-lagging", "Cấp lại Giấy chứng nhận do bị mất")
    # a horizontal line has no height, so Selenium never calls it visible: it is enough that it is drawn
    wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#o-chart svg line.target-line"), "target line")
    assert "10/2026" in browser.find_element(By.CSS_SELECTOR, "#o-chart").text

    Select(browser.find_element(By.CSS_SELECTOR, "#p-kind")).select_by_value("quarter")
    text_in(browser, "#p-range", "01/10/2026 – 31/12/2026")
    screenshot(browser, "leaders")

    set_value(browser, "#p-day", "2099-01-01")
    text_in(browser, "#p-error", "sau ngày hôm nay")
    assert "001180000444" not in browser.page_source and "Trịnh Văn Nam" not in browser.page_source
