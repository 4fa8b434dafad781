"""Notices to citizens through the real local protocol servers: the notifier as a process, the SMTP
stand-in (aiosmtpd) and the eSMS-shaped gateway stand-in, intake and resolution running.

Shown here: one e-mail and one SMS per notifiable event, in Vietnamese with the tracking link and
without the tracking secret; a duplicate of an event on the topic sends nothing more; the notifier
killed between a send and its record sends nothing twice after its restart; the SMTP server down
for 30 s, the backlog drains afterwards; a poison event goes to the dead-letter topic and the
events behind it are still told; a bounced address is a dead letter that the operator API lists
and replays; the choice is made on the counter's and the portal's forms in Chromium.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from deploy import dlt
from shared.events import LIFECYCLE_TOPIC, NOTIFIER_GROUP, parse_event
from shared.kafka import client_options
from tests.conftest import eventually, owner_urls, start_group_at_the_end, write_staff
from tests.e2e.browser import EC, By, Select, screenshot, search_catalogue, sign_in, start_browser, visible, wait
from tests.e2e.standins import Mail, Sms
from tests.fleet import Fleet

pytestmark = pytest.mark.e2e
SHIFT = int(os.environ.get("DVC_TEST_PORT_SHIFT", "0"))
NOTIFIER = {"notifier": 18141 + SHIFT}
SMTP_PORT, SMS_PORT, MAILBOX_PORT = 18142 + SHIFT, 18143 + SHIFT, 18144 + SHIFT
PROCEDURE = "1.013831"  # the land office's
RUN = uuid.uuid4().hex[:6]
SETTLE = 45.0  # seconds a message may take on two busy cores


@pytest.fixture(scope="module")
def standins(tmp_path_factory):
    folder = tmp_path_factory.mktemp("standins")
    mail = Mail(SMTP_PORT, MAILBOX_PORT, folder / "mail", folder)
    sms = Sms(SMS_PORT, folder / "sms", folder)
    mail.start()
    sms.start()
    try:
        yield mail, sms
    finally:
        mail.stop()
        sms.stop()


def notifier_env(endpoints, services) -> dict[str, str]:
    return {
        **endpoints,
        "INTAKE_URL": services["intake"],
        "NOTIFIER_SMTP_PORT": str(SMTP_PORT),
        "NOTIFIER_SMS_URL": f"http://127.0.0.1:{SMS_PORT}/MainService.svc/json/SendMultipleMessage_V4_post_json/",
        "NOTIFIER_TRACKING_URL": f"{services['intake']}/portal",
        # Short waits, enough tries to outlast a 30 s outage: 0.5, 1, 2, 4 then every 4 s.
        "NOTIFIER_BACKOFF_BASE_S": "0.5",
        "NOTIFIER_BACKOFF_MAX_S": "4",
        "NOTIFIER_MAX_ATTEMPTS": "30",
        "NOTIFIER_SENDING_LEASE_S": "3",
        "NOTIFIER_POLL_INTERVAL_S": "0.5",
    }


@pytest.fixture(scope="module")
async def notifier(endpoints, services, standins, bootstrap, tmp_path_factory):
    await start_group_at_the_end(bootstrap, NOTIFIER_GROUP, LIFECYCLE_TOPIC)
    fleet = Fleet(NOTIFIER, notifier_env(endpoints, services), tmp_path_factory.mktemp("notifier-logs"))
    fleet.start("notifier")
    await asyncio.to_thread(fleet.wait_healthy, "notifier", timeout=120)
    try:
        yield fleet
    finally:
        fleet.stop_all(30)


@pytest.fixture(scope="module")
def operator(endpoints, notifier):
    return write_staff(endpoints, ("notifier",))


def applicant(n: int, notify: list[str], domain: str = "example.vn") -> dict:
    return {
        "name": "Nguyễn Thị Hoa",
        "id_number": f"0012{n:08d}",
        "phone": f"09{n:08d}",
        "email": f"hoa.{RUN}.{n}@{domain}",
        "notify": notify,
    }


def receive(services, staff, person: dict) -> dict:
    r = httpx.post(
        f"{services['intake']}/api/v1/dossiers",
        json={"procedure_code": PROCEDURE, "channel": "counter", "applicant": person, "documents": ["Đơn đăng ký"]},
        auth=staff.auth("clerk"),
        timeout=15,
    )
    assert r.status_code == 201, r.text
    return r.json()


SEQ = iter(range(1, 10**6))


def person(notify: list[str], domain: str = "example.vn") -> dict:
    return applicant(int(RUN, 16) % 10**6 * 100 + next(SEQ), notify, domain)


async def arrived(mail: Mail, to: str, n: int = 1) -> list[dict]:
    return await eventually(lambda: len(found := mail.messages(to)) >= n and found, SETTLE, 0.3, f"{n} mail to {to}")


async def texted(sms: Sms, phone: str, n: int = 1) -> list[dict]:
    return await eventually(lambda: len(found := sms.messages(phone)) >= n and found, SETTLE, 0.3, f"{n} SMS")


async def test_acceptance_by_email_and_sms(services, staff, standins, notifier):
    mail, sms = standins
    who = person(["email", "sms"])
    dossier = receive(services, staff, who)
    code, pin = dossier["code"], dossier["tracking_pin"]
    [email] = await arrived(mail, who["email"])
    [text] = await texted(sms, who["phone"])
    link = f"{services['intake']}/portal?code={code}"
    assert code in email["subject"] and "tiếp nhận" in email["subject"]
    assert "Ngày hẹn trả kết quả" in email["text"] and link in email["text"]
    assert code in text["Content"] and "đã được tiếp nhận" in text["Content"] and link in text["Content"]
    assert pin not in email["text"] and pin not in text["Content"]  # the secret stays on the slip
    assert text["Brandname"] == "DVCHANOI"

    # The next notifiable step (a supplement request from the officer) makes one more of each.
    officer = staff.auth("officer_land")
    await eventually(
        lambda: httpx.get(f"{services['resolution']}/api/v1/cases/{code}", auth=officer, timeout=5).status_code == 200,
        SETTLE,
        what="case opened",
    )
    for action, body in (
        ("start-processing", {"reason": "e2e"}),
        ("request-supplement", {"reason": "Thiếu giấy tờ", "missing_documents": ["Bản sao sổ hộ khẩu"]}),
    ):
        r = httpx.post(f"{services['resolution']}/api/v1/cases/{code}/{action}", json=body, auth=officer, timeout=10)
        assert r.status_code == 200, r.text
    both = await arrived(mail, who["email"], 2)
    assert "Bản sao sổ hộ khẩu" in both[1]["text"] and "bổ sung" in both[1]["subject"]
    await texted(sms, who["phone"], 2)

    # Only e-mail asked for: no SMS, though the phone is known.
    only_mail = person(["email"])
    receive(services, staff, only_mail)
    await arrived(mail, only_mail["email"])
    assert sms.messages(only_mail["phone"]) == []


async def accepted_record(bootstrap: str, code: str):
    """The accepted event of `code` as it is on the topic (key, bytes)."""
    producer = AIOKafkaProducer(**client_options(bootstrap))  # its partitions_for() waits for the metadata
    await producer.start()
    try:
        tps = [TopicPartition(LIFECYCLE_TOPIC, p) for p in await producer.partitions_for(LIFECYCLE_TOPIC)]
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(**client_options(bootstrap), enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        for tp in tps:
            consumer.seek(tp, max(0, ends[tp] - 200))
        pending = {tp for tp in tps if await consumer.position(tp) < ends[tp]}
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=1000)
            for records in batch.values():
                for r in records:
                    if r.key == code.encode() and parse_event(r.value).type == "dossier.accepted":
                        return r
            pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
    finally:
        await consumer.stop()
    raise AssertionError(f"no accepted event of {code}")


async def consumed_past(bootstrap: str, record) -> bool:
    """Whether the notifier's group committed past `record` (it applied the batch holding it)."""
    consumer = AIOKafkaConsumer(**client_options(bootstrap), group_id="notifier-messages", enable_auto_commit=False)
    await consumer.start()
    try:
        committed = await consumer.committed(TopicPartition(record.topic, record.partition))
        return committed is not None and committed > record.offset
    finally:
        await consumer.stop()


async def test_duplicate_event_sends_nothing_more(services, staff, standins, notifier, bootstrap):
    mail, sms = standins
    who = person(["email", "sms"])
    code = receive(services, staff, who)["code"]
    await arrived(mail, who["email"])
    await texted(sms, who["phone"])
    record = await accepted_record(bootstrap, code)
    producer = AIOKafkaProducer(**client_options(bootstrap))
    await producer.start()
    try:  # the same event twice more, as a producer retry or a replay would put it
        for _ in range(2):
            sent = await producer.send_and_wait(
                LIFECYCLE_TOPIC, record.value, key=record.key, partition=record.partition
            )
    finally:
        await producer.stop()
    await eventually(lambda: consumed_past(bootstrap, sent), SETTLE, 0.5, "duplicates consumed")
    # The group commits only after the batch's rows were written: a duplicate finds its rows there and
    # adds none, so no new send can follow from it.
    assert len(mail.messages(who["email"])) == 1 and len(sms.messages(who["phone"])) == 1
    # The notifier never tried again: the stand-ins saw no repeated Message-ID or RequestId.
    event_id = parse_event(record.value).event_id
    assert not any(str(event_id) in key for key in (*mail.repeats(), *sms.repeats()))


def stale_notices(notifier: Fleet) -> float:
    text = httpx.get(f"{notifier.url('notifier')}/metrics", timeout=10).text
    found = re.search(r"^notifier_stale_notices_total (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


async def test_an_event_days_old_when_read_is_not_told(services, staff, standins, notifier, bootstrap):
    mail, _ = standins
    who = person(["email"])
    code = receive(services, staff, who)["code"]
    await arrived(mail, who["email"])
    before = stale_notices(notifier)
    # The same dossier's acceptance as a new event three days old, as a rewound group or a
    # notifier deployed over a topic with a history would read it.
    record = await accepted_record(bootstrap, code)
    old = json.loads(record.value)
    old |= {"event_id": str(uuid.uuid4()), "seq": old["seq"] + 100}
    old["occurred_at"] = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    producer = AIOKafkaProducer(**client_options(bootstrap))
    await producer.start()
    try:
        sent = await producer.send_and_wait(
            LIFECYCLE_TOPIC, json.dumps(old).encode(), key=record.key, partition=record.partition
        )
    finally:
        await producer.stop()
    await eventually(lambda: consumed_past(bootstrap, sent), SETTLE, 0.5, "the old event consumed")
    assert stale_notices(notifier) == before + 1
    assert len(mail.messages(who["email"])) == 1  # only the acceptance told when it happened


async def states(endpoints, code: str) -> dict[str, str]:
    conn = await asyncpg.connect(owner_urls(endpoints, ("notifier",))["notifier"])
    try:
        rows = await conn.fetch("SELECT channel, state FROM deliveries WHERE dossier_code = $1", code)
        return {r["channel"]: r["state"] for r in rows}
    finally:
        await conn.close()


async def test_crash_between_send_and_record_sends_once(endpoints, services, staff, standins, notifier):
    mail, sms = standins
    notifier.stop_all(30)
    faulty = {**notifier.env, "NOTIFIER_FAULT_EXIT_AFTER_SEND": "true"}
    notifier.env = faulty
    notifier.start("notifier")
    try:
        who = person(["email", "sms"])
        code = receive(services, staff, who)["code"]
        proc = notifier.procs["notifier"]
        await eventually(lambda: proc.poll() is not None, SETTLE, 0.2, "the notifier's exit after its first send")
        assert proc.returncode == 75
        left = await states(endpoints, code)
        assert "sending" in left.values(), left  # sent, not recorded
    finally:
        notifier.env = {k: v for k, v in faulty.items() if k != "NOTIFIER_FAULT_EXIT_AFTER_SEND"}
        notifier.start("notifier")
        notifier.wait_healthy("notifier", timeout=120)
    await eventually(
        lambda: _all_sent(endpoints, code), SETTLE, 0.5, "both messages recorded as sent after the restart"
    )
    assert len(mail.messages(who["email"])) == 1 and len(sms.messages(who["phone"])) == 1
    # The one cut short was sent again with the same identity, and the receiver kept one copy.
    assert sum(mail.repeats().values()) + sum(sms.repeats().values()) >= 1


async def _all_sent(endpoints, code: str) -> bool:
    found = await states(endpoints, code)
    return found == {"email": "sent", "sms": "sent"}


async def test_smtp_down_for_30_s_then_backlog_drains(endpoints, services, staff, standins, notifier):
    mail, sms = standins
    mail.stop()
    down_at = time.monotonic()
    try:
        people = [person(["email", "sms"]) for _ in range(3)]
        codes = [receive(services, staff, p)["code"] for p in people]
        for p in people:  # SMS does not wait for the mail server
            await texted(sms, p["phone"])

        async def retried() -> bool:
            conn = await asyncpg.connect(owner_urls(endpoints, ("notifier",))["notifier"])
            try:
                n = await conn.fetchval(
                    "SELECT count(*) FROM deliveries WHERE dossier_code = ANY($1) AND channel = 'email' "
                    "AND state = 'pending' AND attempts >= 2",
                    codes,
                )
                return n == len(codes)
            finally:
                await conn.close()

        await eventually(retried, SETTLE, 0.5, "e-mails retried while the server is down")
        while time.monotonic() - down_at < 30:  # the outage lasts its 30 s: a duration, not a condition
            time.sleep(min(1.0, 30 - (time.monotonic() - down_at)))
    finally:
        mail.start()
    for p in people:
        [got] = await arrived(mail, p["email"])
        assert "tiếp nhận" in got["subject"]
    for c in codes:
        assert await _all_sent(endpoints, c)


async def test_poison_event_is_dead_lettered_and_later_events_still_told(
    services, staff, standins, notifier, bootstrap
):
    mail, _ = standins
    start = max([lt.offset + 1 for lt, _ in await dlt.read(bootstrap)], default=0)
    poison = f"NOTIFY-POISON-{RUN}".encode()
    producer = AIOKafkaProducer(**client_options(bootstrap))
    await producer.start()
    try:
        for partition in range(len(await producer.partitions_for(LIFECYCLE_TOPIC))):
            await producer.send_and_wait(
                LIFECYCLE_TOPIC, b'{"type": "dossier.accepted", "oops": ', key=poison, partition=partition
            )
    finally:
        await producer.stop()
    who = person(["email"])
    receive(services, staff, who)
    await arrived(mail, who["email"])

    async def dead_lettered():
        return [
            lt
            for lt, _ in await dlt.read(bootstrap, from_offset=start)
            if lt.service == "notifier" and lt.key == poison.decode()
        ]

    letters = await eventually(dead_lettered, SETTLE, 0.5, "the notifier's dead letters")
    assert all(lt.kind == "bad_event" for lt in letters)


async def test_bounced_address_is_a_dead_letter_the_operator_replays(services, staff, standins, notifier, operator):
    who = person(["email"], domain="khong-ton-tai.invalid")
    code = receive(services, staff, who)["code"]
    api = f"{notifier.url('notifier')}/api/v1/notifications"
    leader = operator.auth("leader")

    def dead_rows():
        r = httpx.get(f"{api}/dead", auth=leader, timeout=5)
        assert r.status_code == 200, r.text
        return [d for d in r.json()["dead"] if d["dossier_code"] == code]

    [row] = await eventually(dead_rows, SETTLE, 0.5, "the bounced e-mail among the dead letters")
    assert row["channel"] == "email" and "550" in row["last_error"] and row["attempts"] == 1
    assert who["email"] not in httpx.get(f"{api}/dead", auth=leader, timeout=5).text  # no contact shown
    assert httpx.get(f"{api}/dead", timeout=5).status_code == 401
    assert httpx.get(f"{api}/dead", auth=operator.auth("clerk"), timeout=5).status_code == 403
    key = {"dossier_code": code, "seq": row["seq"], "channel": "email"}
    r = httpx.post(f"{api}/dead/replay", json={"items": [key]}, auth=leader, timeout=5)
    assert r.status_code == 200 and r.json() == {"replayed": 1}, r.text
    # Tried again from a fresh count, and dead again: the address still bounces.
    await eventually(lambda: any(d["failed_at"] > row["failed_at"] for d in dead_rows()), SETTLE, 0.5, "replayed")


async def test_clerk_records_the_choice_at_the_counter_and_the_citizen_is_told(
    services, staff, standins, notifier, browser
):
    mail, sms = standins
    who = person([])
    browser.get(f"{services['intake']}/counter")
    sign_in(browser, staff.username("clerk"), staff.password("clerk"))
    search_catalogue(browser, "bien dong dat")
    visible(browser, f'#proc-list li[data-code="{PROCEDURE}"]').click()
    visible(browser, "#a-name").send_keys(who["name"])
    for field in ("id", "phone", "email"):
        browser.find_element(By.CSS_SELECTOR, f"#a-{field}").send_keys(who[field if field != "id" else "id_number"])
    legend = browser.find_element(By.CSS_SELECTOR, "fieldset.notify legend").text
    assert legend == "Công dân muốn nhận thông báo về hồ sơ"
    for channel in ("email", "sms"):
        browser.find_element(By.CSS_SELECTOR, f"#a-notify-{channel}").click()
    browser.find_elements(By.CSS_SELECTOR, "#doc-checklist input")[0].click()
    screenshot(browser, "counter-notify-choice")
    browser.find_element(By.CSS_SELECTOR, "#receive-button").click()
    code = visible(browser, "#slip-code").text
    [email] = await arrived(mail, who["email"])
    assert code in email["subject"]
    [text] = await texted(sms, who["phone"])
    assert code in text["Content"]


async def test_citizen_asks_for_e_mail_on_the_portal_and_is_told_on_acceptance(services, staff, standins, notifier):
    mail, sms = standins
    who = person([])
    phone = start_browser(390, 844)
    try:
        phone.get(f"{services['intake']}/portal")
        wait(phone).until(
            EC.presence_of_element_located((By.CSS_SELECTOR, f'#proc-select option[value="{PROCEDURE}"]')),
            "procedure offered",
        )
        Select(visible(phone, "#proc-select")).select_by_value(PROCEDURE)
        visible(phone, "#s-name").send_keys(who["name"])
        for field, value in (("id", who["id_number"]), ("phone", who["phone"]), ("email", who["email"])):
            phone.find_element(By.CSS_SELECTOR, f"#s-{field}").send_keys(value)
        assert "Nhận thông báo về hồ sơ" in phone.find_element(By.CSS_SELECTOR, "fieldset.notify legend").text
        phone.find_element(By.CSS_SELECTOR, "#s-notify-email").click()
        screenshot(phone, "portal-notify-choice")
        phone.find_element(By.CSS_SELECTOR, "#submit-button").click()
        code = visible(phone, "#new-code").text
    finally:
        phone.quit()
    r = httpx.post(f"{services['intake']}/api/v1/dossiers/{code}/accept", json={}, auth=staff.auth("clerk"), timeout=10)
    assert r.status_code == 200, r.text
    [email] = await arrived(mail, who["email"])
    assert code in email["subject"] and "tiếp nhận" in email["subject"]
    assert sms.messages(who["phone"]) == []  # e-mail only was ticked
