"""Pure rules behind the pages: what a citizen may upload, form 04's apology, Vietnamese dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.intake.domain.uploads import (
    MAX_DOSSIER_BYTES,
    MAX_DOSSIER_FILES,
    MAX_FILE_BYTES,
    MAX_FILES,
    Upload,
    UploadRefused,
    check,
    check_quota,
    download_name,
)
from services.intake.web.vn_time import form_datetime, processing_time
from services.resolution.domain.case import ApologyRefused, Case, apologise
from shared.lifecycle import Status

PDF = b"%PDF-1.7\n..."
PNG = b"\x89PNG\r\n\x1a\n...."


def test_uploads_take_the_sniffed_type_not_the_declared_one():
    [f] = check([Upload("scan.pdf", "image/png", PDF)])
    assert f.content_type == "application/pdf"


@pytest.mark.parametrize(
    "files, vi",
    [
        ([], "Chưa chọn tệp"),
        ([Upload("a.exe", "application/pdf", b"MZ\x90\x00")], "không đúng định dạng"),
        ([Upload("big.png", "image/png", PNG + b"0" * MAX_FILE_BYTES)], "vượt quá 5 MB"),
        ([Upload("e.pdf", "application/pdf", b"")], "rỗng"),
        ([Upload(f"{i}.pdf", "application/pdf", PDF) for i in range(MAX_FILES + 1)], "Tối đa 10 tệp"),
    ],
)
def test_uploads_refused_with_both_languages(files, vi):
    with pytest.raises(UploadRefused) as err:
        check(files)
    assert vi in err.value.vi and err.value.en


def test_upload_names_lose_control_and_direction_characters_and_downloads_use_our_name():
    [f] = check([Upload("hoa_don\u202egpj.exe\x00", "application/pdf", PDF)])
    assert f.filename == "hoa_dongpj.exe"
    assert download_name("000.00.31.H26-261205-0001", 7, "image/jpeg") == "000.00.31.H26-261205-0001-7.jpg"
    assert download_name("a/b\u202e", 1, "application/pdf") == "a_b_-1.pdf"


def test_a_dossier_holds_at_most_its_quota():
    one = [Upload("a.pdf", "application/pdf", PDF)]
    check_quota(MAX_DOSSIER_FILES - 1, 0, one)
    with pytest.raises(UploadRefused) as err:
        check_quota(MAX_DOSSIER_FILES, 0, one)
    assert f"tối đa {MAX_DOSSIER_FILES} tệp" in err.value.vi and "at most" in err.value.en
    with pytest.raises(UploadRefused):
        check_quota(1, MAX_DOSSIER_BYTES - 2, one)


def _case(status=Status.PROCESSING, due=datetime(2026, 12, 3, 3, 0, tzinfo=UTC)) -> Case:
    return Case(
        code="X-1",
        agency_id="000.00.31.H26",
        procedure_code="1.013831",
        channel="counter",
        status=status,
        accepted_at=due - timedelta(days=7),
        due_at=due,
        processing_hours=40,
        time_type="working",
        clock_policy="pause",
        rule_version="v",
        last_seq=3,
    )


def test_apology_keeps_status_and_due_time_and_takes_the_next_seq():
    case = _case()
    new_at = case.due_at + timedelta(days=2)
    out = apologise(case, actor="cv.a", reason="Chờ đo đạc", new_appointment_at=new_at, now=case.due_at)
    assert out.event_type.value == "dossier.apology_issued"
    assert out.case.status is case.status and out.case.due_at == case.due_at and out.case.last_seq == 4
    assert out.case.new_appointment_at == new_at and out.payload.reason == "Chờ đo đạc"


def test_apology_refused_when_finished_or_not_later():
    with pytest.raises(ApologyRefused):
        apologise(
            _case(Status.RESOLVED),
            actor="a",
            reason="r",
            new_appointment_at=datetime(2027, 1, 1, tzinfo=UTC),
            now=datetime(2026, 12, 1, tzinfo=UTC),
        )
    case = _case()
    with pytest.raises(ApologyRefused):
        apologise(case, actor="a", reason="r", new_appointment_at=case.due_at, now=case.due_at - timedelta(days=1))


def test_form_dates_are_hanoi_time_in_words():
    assert (
        form_datetime(datetime(2026, 12, 3, 3, 0, tzinfo=UTC)) == "10 giờ 00 phút, thứ Năm, ngày 03 tháng 12 năm 2026"
    )
    assert processing_time(40, "working") == "5 ngày làm việc"
    assert processing_time(240, "calendar") == "10 ngày"
    assert processing_time(0, "working") == "trong ngày"
