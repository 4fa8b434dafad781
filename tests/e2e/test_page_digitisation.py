"""Issue 15 in a real browser: the clerk marks each document at the counter (scanned with its file,
reused from an earlier dossier, paper) and the citizen downloads the signed result from the portal."""

from __future__ import annotations

import json
import uuid
from base64 import b64encode

import httpx
import pytest

from tests.e2e.browser import By, Select, click, screenshot, search_catalogue, sign_in, text_in, visible, wait
from tests.e2e.test_digitisation import PREVIOUS, dossier, queued_event, resolve_with, scan, with_scans
from tests.e2e.test_lifecycle_end_to_end import act, case_exists, wait_for
from tests.e2e.test_page_portal import _track
from tests.signed_pdf import signed_pdf

pytestmark = pytest.mark.e2e
LAND = "1.013831"


def _id_number() -> str:
    return f"0014{uuid.uuid4().int % 10**8:08d}"


def _documents(intake: str) -> list[str]:
    catalogue = httpx.get(f"{intake}/api/v1/procedures", timeout=10).json()
    return next(p["documents"] for p in catalogue["procedures"] if p["code"] == LAND)


async def test_clerk_marks_scanned_reused_and_paper_documents(services, staff, browser, endpoints, tmp_path):
    intake, clerk = services["intake"], staff.auth("clerk")
    id_number = _id_number()
    previous = _documents(intake)[1]  # the earlier dossier's scan of the catalogue's second document
    earlier = with_scans(services, clerk, dossier(id_number, [previous], [{"kind": "scanned"}]), [scan(0)])
    scanned = tmp_path / "to-khai-quet.pdf"
    scanned.write_bytes(signed_pdf())

    browser.get(f"{intake}/counter")
    sign_in(browser, staff.username("clerk"), staff.password("clerk"))
    search_catalogue(browser, LAND)
    click(browser, f'#proc-list li[data-code="{LAND}"]')
    visible(browser, "#a-name").send_keys("Phạm Thị Số Hóa")
    browser.find_element(By.CSS_SELECTOR, "#a-id").send_keys(id_number)
    rows = browser.find_elements(By.CSS_SELECTOR, "#doc-digitisation .doc-row")
    names = [r.get_attribute("data-doc") for r in rows]
    assert previous in names and len(names) >= 3
    reused_at, scanned_at = names.index(previous), next(i for i, n in enumerate(names) if n != previous)
    paper_at = next(i for i in range(len(names)) if i not in (reused_at, scanned_at))
    for i in (scanned_at, reused_at, paper_at):
        click(browser, f"#doc-{i}")
    Select(browser.find_element(By.CSS_SELECTOR, f"#doc-kind-{scanned_at}")).select_by_value("scanned")
    visible(browser, f"#doc-file-{scanned_at}").send_keys(str(scanned))
    Select(browser.find_element(By.CSS_SELECTOR, f"#doc-kind-{reused_at}")).select_by_value("reused")
    # A reuse without the earlier code is told on the page, before anything is sent.
    click(browser, "#receive-button")
    assert text_in(browser, "#receive-msg", "Chưa nhập mã hồ sơ trước")
    visible(browser, f"#doc-from-{reused_at}").send_keys(earlier["code"])
    screenshot(browser, "counter-digitisation")
    click(browser, "#receive-button")

    code = visible(browser, "#slip-code").text
    files = httpx.get(f"{intake}/api/v1/dossiers/{code}/attachments", auth=clerk, timeout=10).json()
    assert [(f["purpose"], f["size_bytes"]) for f in files] == [("scanned", scanned.stat().st_size)]
    p = (await queued_event(endpoints, code, "dossier.accepted"))["payload"]
    assert (p["documents_total"], p["documents_scanned"], p["documents_reused"]) == (3, 1, 1)


def test_citizen_downloads_the_signed_result_from_the_portal(services, staff, browser, tmp_path):
    intake, clerk, officer = services["intake"], staff.auth("clerk"), staff.auth("officer_land")
    id_number = _id_number()
    received = with_scans(services, clerk, dossier(id_number, [PREVIOUS], [{"kind": "paper"}]), [])
    code, pin = received["code"], received["tracking_pin"]
    wait_for(lambda: case_exists(services, code, officer), bool, what="case opened in resolution")
    act(services, code, "start-processing", officer)
    act(services, code, "approve", staff.auth("leader"))
    pdf = signed_pdf()
    decided = resolve_with(services, code, officer, {"kind": "electronic", "pdf_base64": b64encode(pdf).decode()})
    assert decided.status_code == 200, decided.text
    track = f"{intake}/api/v1/dossiers/{code}/track"
    wait_for(
        lambda: httpx.post(track, json={"id_number": id_number, "pin": pin}, timeout=10).json()["dossier"],
        lambda d: d["result_kind"] == "electronic",
        timeout=30,
        what="intake tracked the electronic result",
    )

    # Downloads land in a folder of the test's, where the saved file is read back.
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    browser.get(f"{intake}/portal")
    _track(browser, code, pin, id_number)
    assert text_in(browser, "#r-eresult", "Kết quả điện tử")
    click(browser, "#eresult-button")
    link = visible(browser, "#eresult-file")
    assert link.get_attribute("download") == f"{code}-ket-qua.pdf" and "Lưu tệp" in link.text
    saved = tmp_path / f"{code}-ket-qua.pdf"
    wait_for(lambda: saved.exists() and saved.read_bytes(), bool, timeout=20, what="the result saved by the browser")
    assert saved.read_bytes() == pdf  # the signed PDF, as resolution keeps it
    screenshot(browser, "portal-electronic-result")

    # With a wrong secret the portal says so, in Vietnamese, and offers nothing.
    browser.get(f"{intake}/portal")
    _track(browser, code, "SAI0000000", id_number)
    assert text_in(browser, "#track-msg", "Không tìm thấy hồ sơ")
    wait(browser).until(lambda d: not d.find_element(By.CSS_SELECTOR, "#r-eresult").is_displayed())
    refused = httpx.post(f"{intake}/api/v1/dossiers/{code}/result", json={"id_number": id_number, "pin": "SAI000"})
    assert refused.status_code == 404 and json.loads(refused.text)["error"]["message_vi"]


def test_officer_resolves_with_a_signed_pdf_from_the_desk(services, staff, browser, tmp_path):
    resolution, clerk, officer = services["resolution"], staff.auth("clerk"), staff.auth("officer_land")
    id_number = _id_number()
    received = with_scans(services, clerk, dossier(id_number, [PREVIOUS], [{"kind": "paper"}]), [])
    code = received["code"]
    wait_for(lambda: case_exists(services, code, officer), bool, what="case opened in resolution")
    act(services, code, "start-processing", officer)
    act(services, code, "approve", staff.auth("leader"))
    unsigned, signed = tmp_path / "chua-ky.pdf", tmp_path / "ket-qua-da-ky.pdf"
    unsigned.write_bytes(b"%PDF-1.7\n1 0 obj\n<< >>\nendobj\n%%EOF\n")
    signed.write_bytes(signed_pdf())

    browser.get(f"{resolution}/desk")
    sign_in(browser, staff.username("officer_land"), staff.password("officer_land"))
    visible(browser, "#open-code").send_keys(code)
    click(browser, "#open-button")
    assert text_in(browser, "#c-status", "Đang xử lý")
    # An unsigned PDF is refused in Vietnamese and the case stays open.
    visible(browser, "#c-result-file").send_keys(str(unsigned))
    click(browser, '#c-actions button[data-action="resolve"]')
    assert text_in(browser, "#c-msg", "chưa được ký số")
    assert text_in(browser, "#c-status", "Đang xử lý")
    browser.find_element(By.CSS_SELECTOR, "#c-result-file").send_keys(str(signed))
    click(browser, '#c-actions button[data-action="resolve"]')
    assert text_in(browser, "#c-status", "Đã xử lý xong")
    screenshot(browser, "desk-electronic-result")
    internal = httpx.get(f"{resolution}/api/v1/internal/results/{code}", auth=officer, timeout=10)
    assert internal.status_code == 403  # the PDF is for intake's door, not read here by staff
    pin = received["tracking_pin"]
    got = httpx.post(f"{services['intake']}/api/v1/dossiers/{code}/result", json={"id_number": id_number, "pin": pin})
    assert got.status_code == 200 and got.content == signed.read_bytes()
