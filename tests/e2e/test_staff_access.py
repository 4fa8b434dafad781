"""Staff sign-in through the real services: who may call what, and an officer stays in their agency."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.test_lifecycle_end_to_end import wait_for

LAND_PROCEDURE = "1.013831"  # Văn phòng Đăng ký đất đai Hà Nội, 000.00.31.H26
APPLICANT = {"name": "Phạm Thị Dung", "id_number": "001185054321", "phone": "0911222333"}
pytestmark = pytest.mark.e2e


def new_dossier(services, channel, auth=None, procedure=LAND_PROCEDURE) -> httpx.Response:
    return httpx.post(
        f"{services['intake']}/api/v1/dossiers",
        auth=auth,
        timeout=10,
        json={"procedure_code": procedure, "channel": channel, "applicant": APPLICANT, "received_by": "forged.name"},
    )


def assert_401(r: httpx.Response, vi="Cần đăng nhập", en="Sign-in"):
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"].startswith("Basic realm=")
    error = r.json()["error"]
    assert vi in error["message_vi"] and en in error["message_en"]


@pytest.fixture(scope="module")
def land_case(services, staff):
    """A counter dossier of the land office, accepted and open in resolution."""
    r = new_dossier(services, "counter", staff.auth("clerk"))
    assert r.status_code == 201, r.text
    code = r.json()["code"]
    wait_for(
        lambda: httpx.get(f"{services['resolution']}/api/v1/cases/{code}", auth=staff.auth("leader")).status_code,
        lambda s: s == 200,
        what="case opened in resolution",
    )
    return code


def test_staff_endpoints_answer_401_without_credentials(services, land_case):
    intake, resolution = services["intake"], services["resolution"]
    assert_401(new_dossier(services, "counter"))
    assert_401(new_dossier(services, "post"))
    assert_401(httpx.get(f"{intake}/api/v1/dossiers"))
    assert_401(httpx.get(f"{intake}/api/v1/dossiers/{land_case}"))
    assert_401(httpx.get(f"{intake}/api/v1/dossiers/{land_case}/history"))
    assert_401(httpx.post(f"{intake}/api/v1/dossiers/{land_case}/accept", json={}))
    assert_401(httpx.post(f"{intake}/api/v1/dossiers/{land_case}/refuse", json={"reason": "x"}))
    assert_401(httpx.get(f"{resolution}/api/v1/cases"))
    assert_401(httpx.post(f"{intake}/api/v1/imports", params={"source": "x"}, content=b"{}\n"))
    assert_401(httpx.get(f"{resolution}/api/v1/cases/{land_case}"))
    assert_401(httpx.post(f"{resolution}/api/v1/cases/{land_case}/start-processing", json={}))
    assert_401(
        httpx.get(f"{resolution}/api/v1/cases", auth=("t.officer.land", "wrong-password")),
        "mật khẩu không đúng",
        "Wrong username or password",
    )


def test_citizen_and_public_endpoints_need_no_sign_in(services, staff):
    online = new_dossier(services, "online")
    assert online.status_code == 201 and online.json()["status"] == 1
    code, pin = online.json()["code"], online.json()["tracking_pin"]
    assert httpx.get(f"{services['intake']}/api/v1/procedures").status_code == 200
    assert httpx.get(f"{services['stats']}/api/v1/stats/live").status_code == 200
    track = f"{services['intake']}/api/v1/dossiers/{code}/track"
    # the history is the lifecycle topic's, read back by intake's consumer: it comes within moments
    tracked = wait_for(
        lambda: httpx.post(track, json={"id_number": APPLICANT["id_number"], "pin": pin}),
        lambda r: r.status_code == 200 and r.json()["history"],
        what="tracking history",
    )
    assert tracked.json()["dossier"]["status"] == 1 and [h["status"] for h in tracked.json()["history"]] == [1]
    assert APPLICANT["id_number"] not in tracked.text
    wrong = httpx.post(track, json={"id_number": "000000000000", "pin": pin})
    assert wrong.status_code == 404, "never by code alone"
    no_secret = httpx.post(track, json={"id_number": APPLICANT["id_number"], "pin": "0000000000"})
    assert no_secret.status_code == 404 and no_secret.json() == wrong.json(), "nor without the slip's secret"
    # A stale staff cookie must not break a citizen's page.
    stale = httpx.post(
        f"{services['intake']}/api/v1/dossiers",
        cookies={"dvc_session": "forged.value"},
        json={"procedure_code": LAND_PROCEDURE, "channel": "online", "applicant": APPLICANT},
    )
    assert stale.status_code == 201
    withdrawn = httpx.post(
        f"{services['intake']}/api/v1/dossiers/{code}/withdraw", json={"id_number": APPLICANT["id_number"], "pin": pin}
    )
    assert withdrawn.status_code == 202


def test_guessing_a_dossier_is_throttled_without_blocking_its_clerk(services, staff):
    created = new_dossier(services, "counter", staff.auth("clerk")).json()
    code, pin = created["code"], created["tracking_pin"]
    track = f"{services['intake']}/api/v1/dossiers/{code}/track"
    for guess in range(5):  # the limit per dossier (INTAKE_CITIZEN_DOSSIER_FAILURES)
        r = httpx.post(track, json={"id_number": APPLICANT["id_number"], "pin": f"{guess:010d}"})
        assert r.status_code == 404
    locked = httpx.post(track, json={"id_number": APPLICANT["id_number"], "pin": pin})
    assert locked.status_code == 429, "even the right secret waits now"
    assert int(locked.headers["retry-after"]) > 60
    error = locked.json()["error"]
    assert "quá nhiều lần" in error["message_vi"] and "Too many wrong tries" in error["message_en"]
    upload = httpx.post(
        f"{services['intake']}/api/v1/uploads/{code}",
        data={"id_number": APPLICANT["id_number"], "pin": pin},
        files=[("files", ("a.pdf", b"%PDF-1.4\n", "application/pdf"))],
    )
    assert upload.status_code == 429, "uploads go through the same door, before the files are read"
    # The clerk is not in the way of the lock: staff routes do not pass through it.
    clerk = staff.auth("clerk")
    assert httpx.get(f"{services['intake']}/api/v1/dossiers/{code}", auth=clerk).status_code == 200
    # Another dossier from the same address is still open to its applicant.
    other = new_dossier(services, "online").json()
    assert (
        httpx.post(
            f"{services['intake']}/api/v1/dossiers/{other['code']}/track",
            json={"id_number": APPLICANT["id_number"], "pin": other["tracking_pin"]},
        ).status_code
        == 200
    )


def test_officer_of_another_agency_gets_403_on_the_case(services, staff, land_case):
    police = staff.auth("officer_police")
    resolution = services["resolution"]
    for r in (
        httpx.get(f"{resolution}/api/v1/cases/{land_case}", auth=police),
        httpx.post(f"{resolution}/api/v1/cases/{land_case}/start-processing", json={}, auth=police),
        httpx.get(f"{services['intake']}/api/v1/dossiers/{land_case}", auth=police),
    ):
        assert r.status_code == 403, r.text
        error = r.json()["error"]
        assert error["message_vi"] == (
            f"Hồ sơ {land_case} thuộc cơ quan 000.00.31.H26; tài khoản t.officer.police "
            "chỉ được xem và xử lý hồ sơ của cơ quan 000.00.09.H26"
        )
        assert "belongs to agency 000.00.31.H26" in error["message_en"]
    # Nothing happened: the land office's officer still finds the case untouched and may act.
    land = staff.auth("officer_land")
    case = httpx.get(f"{resolution}/api/v1/cases/{land_case}", auth=land).json()
    assert case["case"]["status"] == 2 and len(case["history"]) == 1
    assert "start-processing" in case["case"]["allowed_actions"]
    started = httpx.post(
        f"{resolution}/api/v1/cases/{land_case}/start-processing",
        auth=land,
        json={"reason": "Thẩm định", "by": "forged.name"},
    )
    assert started.status_code == 200 and started.json()["status"] == 4
    history = httpx.get(f"{resolution}/api/v1/cases/{land_case}", auth=land).json()["history"]
    assert history[-1]["actor"] == "t.officer.land", "who acted comes from the sign-in, not the body"


def test_worklists_are_filtered_to_the_account_agency(services, staff, land_case):
    resolution = services["resolution"]
    police = httpx.get(f"{resolution}/api/v1/cases", params={"limit": 1000}, auth=staff.auth("officer_police"))
    assert police.status_code == 200 and {c["agency_id"] for c in police.json()} <= {"000.00.09.H26"}
    assert land_case not in {c["code"] for c in police.json()}
    # other tests leave thousands of cases; the case's own status keeps the page short
    status = httpx.get(f"{resolution}/api/v1/cases/{land_case}", auth=staff.auth("leader")).json()["case"]["status"]
    land = httpx.get(
        f"{resolution}/api/v1/cases", params={"limit": 1000, "status": status}, auth=staff.auth("officer_land")
    )
    assert land_case in {c["code"] for c in land.json()}
    assert {c["agency_id"] for c in land.json()} == {"000.00.31.H26"}
    asked = httpx.get(
        f"{resolution}/api/v1/cases", params={"agency": "000.00.31.H26"}, auth=staff.auth("officer_police")
    )
    assert asked.status_code == 403
    leader = httpx.get(
        f"{resolution}/api/v1/cases",
        params={"agency": "000.00.31.H26", "limit": 1000, "status": status},
        auth=staff.auth("leader"),
    )
    assert land_case in {c["code"] for c in leader.json()}, "a centre-wide leader sees every agency"
    # At intake too: a commune desk's clerk lists and receives only for the commune.
    commune = staff.auth("clerk_commune")
    listed = httpx.get(f"{services['intake']}/api/v1/dossiers", params={"limit": 500}, auth=commune)
    assert listed.status_code == 200  # its own, and those it received for another commune
    assert all("000.01.01.H26" in (d["agency_id"], d["receiving_agency_id"]) for d in listed.json())
    assert new_dossier(services, "counter", commune).status_code == 403


def test_roles_outside_their_desk_get_403(services, staff, land_case):
    resolution, intake = services["resolution"], services["intake"]
    clerk_acts = httpx.post(f"{resolution}/api/v1/cases/{land_case}/resolve", json={}, auth=staff.auth("clerk"))
    assert clerk_acts.status_code == 403 and "officer" in clerk_acts.json()["error"]["message_en"]
    assert "cần vai trò" in clerk_acts.json()["error"]["message_vi"]
    clerk_view = httpx.get(f"{resolution}/api/v1/cases/{land_case}", auth=staff.auth("clerk"))
    assert clerk_view.status_code == 200, "the counter hands results back, so it reads cases"
    assert not set(clerk_view.json()["case"]["allowed_actions"]) - {"return-result", "withdraw"}
    assert httpx.get(f"{intake}/api/v1/dossiers", auth=staff.auth("monitor")).status_code == 403
    assert httpx.get(f"{resolution}/api/v1/cases", auth=staff.auth("monitor")).status_code == 403
    assert new_dossier(services, "counter", staff.auth("officer_land")).status_code == 403
    imported = httpx.post(f"{intake}/api/v1/imports", params={"source": "x"}, content=b"{}\n", auth=staff.auth("clerk"))
    assert imported.status_code == 403, "importing history is a centre-wide leader's"


def test_received_by_is_the_signed_in_clerk(services, staff):
    r = new_dossier(services, "post", staff.auth("clerk"))
    assert r.status_code == 201 and r.json()["received_by"] == "t.clerk"
    online = new_dossier(services, "online").json()
    assert online["received_by"] is None
    accepted = httpx.post(
        f"{services['intake']}/api/v1/dossiers/{online['code']}/accept",
        json={"by": "forged"},
        auth=staff.auth("leader"),
    )
    assert accepted.json()["received_by"] == "t.leader", "who accepts an online dossier receives it"
    url = f"{services['intake']}/api/v1/dossiers/{r.json()['code']}/history"
    history = wait_for(lambda: httpx.get(url, auth=staff.auth("clerk")).json(), bool, what="history from the topic")
    assert history[0]["actor"] == "t.clerk", "not the body's forged received_by"


def test_cookie_sign_in_holds_across_the_services(services, staff, land_case):
    with httpx.Client() as browser:
        bad = browser.post(
            f"{services['intake']}/api/v1/session", json={"username": "t.officer.land", "password": "wrong-password"}
        )
        assert bad.status_code == 401 and "không đúng" in bad.json()["error"]["message_vi"]
        signed = browser.post(
            f"{services['intake']}/api/v1/session",
            json={"username": "t.officer.land", "password": staff.password("officer_land")},
        )
        assert signed.status_code == 200 and signed.json()["account"]["agency_id"] == "000.00.31.H26"
        # Cookies belong to the host, not the port: intake's sign-in opens resolution's desk too.
        assert browser.get(f"{services['resolution']}/api/v1/cases/{land_case}").status_code == 200
        assert browser.get(f"{services['resolution']}/api/v1/session").json()["account"]["username"] == "t.officer.land"
        assert browser.delete(f"{services['resolution']}/api/v1/session").status_code == 204
        assert_401(browser.get(f"{services['resolution']}/api/v1/cases/{land_case}"))
