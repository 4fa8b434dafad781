"""E-payment (issue 15) through the real services and the local gateway over HTTP: an officer asks
for a fee, the citizen pays online through the stand-in, the gateway's signed IPN is verified and
the case goes back to 4 through Kafka, the e-receipt is served; a replayed IPN and forged ones
(bad signature, wrong amount, unknown order) change nothing; a clerk records a cash payment, refused
for another amount."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from urllib.parse import parse_qsl, quote_plus, urlsplit

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.events import LIFECYCLE_TOPIC
from shared.kafka import client_options
from tests.e2e.conftest import GATEWAY, GATEWAY_PORT
from tests.e2e.standins import PaymentGateway
from tests.e2e.test_lifecycle_end_to_end import APPLICANT, PROCEDURE, case_exists, post, receive, wait_for

pytestmark = pytest.mark.e2e
FEE = 150_000


@pytest.fixture(scope="module")
def gateway(services, tmp_path_factory):
    standin = PaymentGateway(
        GATEWAY_PORT,
        GATEWAY["tmn_code"],
        GATEWAY["secret"],
        f"{services['intake']}/api/v1/payment/ipn",
        tmp_path_factory.mktemp("gateway-logs"),
    )
    standin.start()
    try:
        yield standin
    finally:
        standin.stop()


def hmac_sign(params: dict[str, str], secret: str) -> str:
    """The documented algorithm, written out here apart from shared/payment.py."""
    text = "&".join(
        f"{quote_plus(k)}={quote_plus(v)}"
        for k, v in sorted(params.items())
        if k.startswith("vnp_") and k not in ("vnp_SecureHash", "vnp_SecureHashType")
    )
    return hmac.new(secret.encode(), text.encode(), hashlib.sha512).hexdigest()


def citizen(dossier: dict) -> dict:
    return {"id_number": APPLICANT["id_number"], "pin": dossier["tracking_pin"]}


def track(services, dossier: dict) -> dict:
    return post(f"{services['intake']}/api/v1/dossiers/{dossier['code']}/track", citizen(dossier))


def case(services, code: str, auth) -> dict:
    r = httpx.get(f"{services['resolution']}/api/v1/cases/{code}", timeout=10, auth=auth)
    assert r.status_code == 200, r.text
    return r.json()


def fee_case(services, staff, amount: int) -> dict:
    """A counter dossier accepted, in processing, with a fee of `amount` asked for (status 6)."""
    clerk, officer = staff.auth("clerk"), staff.auth("officer_land")
    d = receive(services, "counter", clerk)
    wait_for(lambda: case_exists(services, d["code"], officer), bool, timeout=60, what="case opened")
    base = f"{services['resolution']}/api/v1/cases/{d['code']}"
    post(f"{base}/start-processing", {}, auth=officer)
    bad = post(f"{base}/request-fee", {"amount": 0, "collection": "at_return"}, 422, auth=officer)
    assert bad["error"]["message_vi"] and bad["error"]["message_en"]
    asked = post(f"{base}/request-fee", {"amount": amount, "collection": "at_return", "reason": "Lệ phí"}, auth=officer)
    assert asked["status"] == 6
    return d


def ipn(services, params: dict[str, str]) -> dict:
    r = httpx.get(f"{services['intake']}/api/v1/payment/ipn", params=params, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


async def lifecycle_events(bootstrap: str, code: str) -> list[dict]:
    """Every lifecycle event of `code` on the topic, in order."""
    consumer = AIOKafkaConsumer(**client_options(bootstrap), enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [TopicPartition(LIFECYCLE_TOPIC, p) for p in consumer.partitions_for_topic(LIFECYCLE_TOPIC) or ()]
        if not parts:
            parts = [TopicPartition(LIFECYCLE_TOPIC, p) for p in await _partitions(consumer)]
        ends = await consumer.end_offsets(parts)
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        found, left = [], {tp for tp, end in ends.items() if end > 0}
        while left:
            batch = await consumer.getmany(*left, timeout_ms=2000, max_records=5000)
            for records in batch.values():
                found += [json.loads(m.value) for m in records if m.key == code.encode()]
            left = {tp for tp in left if await consumer.position(tp) < ends[tp]}
        return sorted(found, key=lambda e: e["seq"])
    finally:
        await consumer.stop()


async def _partitions(consumer) -> set[int]:
    await consumer._client.force_metadata_update()
    return consumer.partitions_for_topic(LIFECYCLE_TOPIC) or set()


def online_payment(services, agency: str) -> tuple[int, int]:
    """Today's month in the quality index: (fees paid online, fees asked for) of `agency`."""
    q = httpx.get(f"{services['stats']}/api/v1/stats/quality", params={"period": "month"}, timeout=10).json()
    row = next((r for r in q["rows"] if r["key"] == agency), None)
    value = row["indicators"]["online_payment"] if row else {"numerator": 0, "denominator": 0}
    return value["numerator"], value["denominator"]


def test_online_payment_through_the_gateway(services, staff, gateway, bootstrap):
    officer = staff.auth("officer_land")
    agency = next(
        p["agencies"][0]
        for p in httpx.get(f"{services['intake']}/api/v1/procedures", timeout=10).json()["procedures"]
        if p["code"] == PROCEDURE
    )
    paid_before, asked_before = online_payment(services, agency)
    d = fee_case(services, staff, FEE)
    code = d["code"]
    # The fee reaches the tracking view through the topic, with its amount and collection moment.
    shown = wait_for(lambda: track(services, d)["fee"], lambda f: f is not None, timeout=60, what="fee on tracking")
    assert (shown["amount"], shown["collection"], shown["paid"]) == (FEE, "at_return", False)

    # Only the applicant (code, ID number, secret) starts a payment.
    wrong = {**citizen(d), "pin": "WRONG1"}
    assert httpx.post(f"{services['intake']}/api/v1/dossiers/{code}/payment", json=wrong, timeout=10).status_code == 404
    started = post(f"{services['intake']}/api/v1/dossiers/{code}/payment", citizen(d))
    again = post(f"{services['intake']}/api/v1/dossiers/{code}/payment", citizen(d))
    order = dict(parse_qsl(urlsplit(started["redirect_url"]).query))
    assert dict(parse_qsl(urlsplit(again["redirect_url"]).query))["vnp_TxnRef"] == order["vnp_TxnRef"]  # one order
    assert order["vnp_Amount"] == str(FEE * 100) and order["vnp_TmnCode"] == GATEWAY["tmn_code"]
    assert order["vnp_SecureHash"] == hmac_sign(order, GATEWAY["secret"])
    assert APPLICANT["id_number"] not in started["redirect_url"]

    # The gateway refuses an order whose amount was changed after signing, and shows the signed one.
    tampered = {**order, "vnp_Amount": str(FEE)}
    assert httpx.get(f"{gateway.url}/paymentv2/vpcpay.html", params=tampered, timeout=10).status_code == 400
    page = httpx.get(started["redirect_url"], timeout=10)
    assert page.status_code == 200 and "Thanh toán" in page.text

    # A forged IPN before the payment changes nothing: bad signature, wrong amount, unknown order.
    forged = {**order, "vnp_ResponseCode": "00", "vnp_TransactionStatus": "00", "vnp_TransactionNo": "999"}
    forged.pop("vnp_SecureHash")
    assert ipn(services, {**forged, "vnp_SecureHash": hmac_sign(forged, "not-the-secret")})["RspCode"] == "97"
    cheap = {**forged, "vnp_Amount": str(FEE)}
    assert ipn(services, {**cheap, "vnp_SecureHash": hmac_sign(cheap, GATEWAY["secret"])})["RspCode"] == "04"
    unknown = {**forged, "vnp_TxnRef": "NO-SUCH-ORDER-1"}
    assert ipn(services, {**unknown, "vnp_SecureHash": hmac_sign(unknown, GATEWAY["secret"])})["RspCode"] == "01"
    assert track(services, d)["fee"]["paid"] is False
    assert case(services, code, officer)["case"]["status"] == 6

    # The citizen pays on the gateway's page: it calls the IPN, then sends the browser back.
    paid = httpx.post(f"{gateway.url}/paymentv2/pay", data=order, timeout=30, follow_redirects=False)
    assert paid.status_code == 303
    back = urlsplit(paid.headers["location"])
    assert back.path == "/portal/payment/return"
    call = gateway.ipn_calls()[-1]
    assert call["answer"] == {"RspCode": "00", "Message": "Confirm Success"}
    returned = httpx.get(f"{services['intake']}{back.path}?{back.query}", timeout=10, follow_redirects=False)
    assert returned.status_code == 303 and "payment=paid" in returned.headers["location"]

    # Resolution applies the verified payment from the requests topic: 6 -> 4.
    after = wait_for(
        lambda: case(services, code, officer), lambda c: c["case"]["status"] == 4, timeout=60, what="6 -> 4"
    )
    fee = httpx.get(f"{services['resolution']}/api/v1/cases/{code}/fee", timeout=10, auth=officer).json()
    assert (fee["paid"], fee["paid_method"], fee["paid_amount"]) == (True, "online", FEE)
    events = asyncio.run(lifecycle_events(bootstrap, code))
    asked = next(e for e in events if e["type"] == "dossier.fee_requested")["payload"]
    assert (asked["fee_amount"], asked["fee_collection"]) == (FEE, "at_return")
    moved = [
        e["payload"] for e in events if e["type"] == "dossier.processing_started" and e["payload"]["from_status"] == 6
    ]
    assert len(moved) == 1
    assert (moved[0]["payment_method"], moved[0]["payment_amount"]) == ("online", FEE)
    assert (
        moved[0]["receipt_no"] == fee["receipt_no"] and moved[0]["gateway_txn"] == call["params"]["vnp_TransactionNo"]
    )
    assert moved[0]["actor"] == "citizen"
    # Statistics count the fee asked for and the payment online (the indicator is measured now).
    wait_for(
        lambda: online_payment(services, agency),
        lambda v: v == (paid_before + 1, asked_before + 1),
        timeout=60,
        what="online payment counted",
    )

    # A replayed IPN (the same signed call again) changes nothing.
    assert ipn(services, call["params"])["RspCode"] == "02"
    again_paid = httpx.post(f"{services['intake']}/api/v1/dossiers/{code}/payment", json=citizen(d), timeout=10)
    assert again_paid.status_code == 409
    history_before = len(after["history"])
    later = wait_for(lambda: track(services, d), lambda t: t["dossier"]["status"] == 4, timeout=60, what="tracked 4")
    assert later["fee"]["paid"] and later["fee"]["paid_method"] == "online"
    assert len(case(services, code, officer)["history"]) == history_before

    # The e-receipt, behind the same check.
    form = citizen(d)
    refused = httpx.post(f"{services['intake']}/portal/receipt/{code}", data={**form, "pin": "WRONG1"}, timeout=10)
    assert refused.status_code == 404
    receipt = httpx.post(f"{services['intake']}/portal/receipt/{code}", data=form, timeout=10)
    assert receipt.status_code == 200
    for text in ("BIÊN LAI", code, "150.000 đồng", "Thanh toán trực tuyến", fee["receipt_no"]):
        assert text in receipt.text
    assert APPLICANT["name"] not in receipt.text


def test_cash_payment_by_a_clerk(services, staff):
    clerk, officer = staff.auth("clerk"), staff.auth("officer_land")
    d = fee_case(services, staff, 50_000)
    base = f"{services['resolution']}/api/v1/cases/{d['code']}/record-payment"
    other = post(base, {"method": "cash", "amount": 40_000}, 409, auth=clerk)["error"]
    assert "50.000" in other["message_vi"] and "50000" in other["message_en"]
    online = post(base, {"method": "online", "amount": 50_000}, 422, auth=clerk)["error"]
    assert online["message_vi"] and online["message_en"]
    assert case(services, d["code"], officer)["case"]["status"] == 6
    moved = post(base, {"method": "cash", "amount": 50_000}, auth=clerk)
    assert moved["status"] == 4
    fee = httpx.get(f"{services['resolution']}/api/v1/cases/{d['code']}/fee", timeout=10, auth=clerk).json()
    assert (fee["paid_method"], fee["paid_amount"]) == ("cash", 50_000) and fee["receipt_no"].startswith("BL-")
    shown = wait_for(lambda: track(services, d)["fee"], lambda f: f and f["paid"], timeout=60, what="cash on tracking")
    assert (shown["paid_method"], shown["receipt_no"]) == ("cash", fee["receipt_no"])
    post(base, {"method": "cash", "amount": 50_000}, 409, auth=clerk)  # paid already: the case is in 4


def test_portal_pay_button_through_the_gateway_page(services, staff, gateway, browser):
    from tests.e2e.browser import click, screenshot, text_in, visible
    from tests.e2e.test_page_portal import _track

    d = fee_case(services, staff, 75_000)
    wait_for(lambda: track(services, d)["fee"], lambda f: f is not None, timeout=60, what="fee on tracking")
    browser.get(f"{services['intake']}/portal")
    _track(browser, d["code"], d["tracking_pin"], APPLICANT["id_number"])
    assert text_in(browser, "#r-fee-amount", "75.000")
    assert text_in(browser, "#r-fee-state", "Chưa nộp phí")
    click(browser, "#pay-button")
    assert text_in(browser, "#amount", "75.000 VND")  # the stand-in gateway's page
    assert browser.current_url.startswith(gateway.url)
    click(browser, "#pay")
    # Back on the tracking view, tracked again without typing anything.
    assert text_in(browser, "#action-msg", "Thanh toán thành công", timeout=30)
    assert text_in(browser, "#r-fee-state", "Đã nộp phí")
    assert visible(browser, "#receipt-button").is_displayed()
    screenshot(browser, "portal-fee-paid")
    assert browser.execute_script("return sessionStorage.length") == 0


def test_officer_asks_for_a_fee_and_records_cash_on_the_desk(services, staff, browser):
    from tests.e2e.browser import click, screenshot, sign_in, text_in, visible

    clerk, officer = staff.auth("clerk"), staff.auth("officer_land")
    d = receive(services, "counter", clerk)
    wait_for(lambda: case_exists(services, d["code"], officer), bool, timeout=60, what="case opened")
    post(f"{services['resolution']}/api/v1/cases/{d['code']}/start-processing", {}, auth=officer)
    browser.get(f"{services['resolution']}/desk?code={d['code']}")
    sign_in(browser, staff.username("officer_land"), staff.password("officer_land"))
    assert text_in(browser, "#c-status", "Đang xử lý")
    visible(browser, "#c-fee-amount").send_keys("250000")
    click(browser, '#c-actions button[data-action="request-fee"]')
    assert text_in(browser, "#c-status", "Yêu cầu thực hiện nghĩa vụ tài chính")
    assert text_in(browser, "#c-fee", "250.000 đồng")
    assert text_in(browser, "#c-fee", "Chưa nộp")
    paid = visible(browser, "#c-paid-amount")
    assert paid.get_attribute("value") == "250000"  # the fee, filled in
    paid.clear()
    paid.send_keys("200000")
    click(browser, '#c-actions button[data-action="record-payment"]')
    assert text_in(browser, "#c-msg", "khác số tiền phí đã yêu cầu")  # the API's words: another amount
    paid.clear()
    paid.send_keys("250000")
    click(browser, '#c-actions button[data-action="record-payment"]')
    assert text_in(browser, "#c-status", "Đang xử lý")
    assert text_in(browser, "#c-fee", "Đã nộp 250.000 đồng (tiền mặt)")
    screenshot(browser, "desk-fee-paid")
