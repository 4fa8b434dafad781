"""Forms 01 (appointment slip) and 03 (refusal) of Circular 01/2018/TT-VPCP, as printable HTML.

Rendered on the server, the QR code included (segno, SVG), so the slip prints the same with
no script and no internet. Every value is escaped.
"""

from __future__ import annotations

import io
from html import escape

import segno

from services.intake.domain.catalogue import Procedure
from services.intake.domain.dossier import Dossier, masked_id
from services.intake.web.vn_time import form_date, form_datetime, processing_time
from shared.supplements import reason_words

HEAD = """<!doctype html><html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<link rel="stylesheet" href="/assets/base.css"><link rel="stylesheet" href="/static/slip.css"></head>
<body><div class="no-print slip-tools"><button type="button" id="print">In phiếu</button>
<a class="button secondary" href="/counter">Quay lại quầy tiếp nhận</a></div><article class="slip" id="slip">
<table class="slip-head"><tr><td><strong>{agency}</strong><br><span class="rule"></span></td>
<td><strong>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</strong><br><strong>Độc lập - Tự do - Hạnh phúc</strong>
<br><span class="rule"></span><br><em>Hà Nội, {today}</em></td></tr></table>"""
# No inline script: the print button is wired by /static/print.js.
TAIL = '</article><script src="/static/print.js"></script></body></html>'


def qr_svg(url: str) -> str:
    buf = io.BytesIO()
    segno.make(url, error="m").save(
        buf, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, title="Mã QR tra cứu hồ sơ"
    )
    return buf.getvalue().decode()


def appointment_slip(dossier: Dossier, procedure: Procedure, agency_name: str, tracking_url: str) -> str:
    """Form 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả."""
    a = dossier.applicant
    doc_items = "".join(f"<li>{escape(d)}</li>" for d in dossier.documents) or "<li>(không ghi thành phần)</li>"
    accepted = dossier.accepted_at or dossier.submitted_at
    body = f"""
<h1>GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ</h1>
<p class="center">Mã hồ sơ: <strong id="slip-code">{escape(dossier.code)}</strong> — Mã tra cứu (giữ bí mật):
<strong id="slip-pin">{escape(dossier.tracking_pin or "")}</strong></p>
<p>{escape(agency_name)} tiếp nhận hồ sơ của: <strong>{escape(a.name)}</strong></p>
<p>Số định danh cá nhân: {escape(masked_id(a.id_number))}{" — Số điện thoại: " + escape(a.phone) if a.phone else ""}</p>
{f"<p>Địa chỉ: {escape(a.address)}</p>" if a.address else ""}
<p>Nội dung yêu cầu giải quyết: <strong>{escape(procedure.name)}</strong> (mã thủ tục {escape(procedure.code)})</p>
<ol class="slip-items">
<li>Thành phần hồ sơ nộp gồm:<ol type="a">{doc_items}</ol></li>
<li>Số lượng hồ sơ: 01 bộ.</li>
<li>Thời gian giải quyết hồ sơ theo quy định: {escape(processing_time(procedure.hours_for(dossier.channel), procedure.time_type))}.</li>
<li>Thời gian nhận hồ sơ: {escape(form_datetime(accepted))}.</li>
<li>Thời gian trả kết quả giải quyết hồ sơ: <strong id="slip-due">{escape(form_datetime(dossier.due_at))}</strong>.</li>
<li>Nhận kết quả tại: Bộ phận Một cửa, {escape(agency_name)}.</li>
</ol>
<div class="slip-qr"><div>{qr_svg(tracking_url)}</div><p>Quét mã QR hoặc truy cập<br><span class="url">{escape(tracking_url)}</span><br>
rồi nhập mã hồ sơ, mã tra cứu và số định danh để tra cứu tiến độ.</p></div>
<table class="signatures"><tr><td><strong>NGƯỜI NỘP HỒ SƠ</strong><br><em>(Ký và ghi rõ họ tên)</em><br><br><br>{escape(a.name)}</td>
<td><strong>NGƯỜI TIẾP NHẬN HỒ SƠ</strong><br><em>(Ký và ghi rõ họ tên)</em><br><br><br>{escape(dossier.received_by or "")}</td></tr></table>"""
    head = HEAD.format(
        title=f"Giấy tiếp nhận {escape(dossier.code)}",
        agency=escape(agency_name.upper()),
        today=escape(form_date(accepted)),
    )
    return head + body + TAIL


def refusal_slip(dossier: Dossier, procedure: Procedure, agency_name: str) -> str:
    """Form 03: Phiếu từ chối tiếp nhận giải quyết hồ sơ."""
    a = dossier.applicant
    body = f"""
<h1>PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ</h1>
<p class="center">Mã hồ sơ: <strong id="slip-code">{escape(dossier.code)}</strong></p>
<p>{escape(agency_name)} tiếp nhận hồ sơ của: <strong>{escape(a.name)}</strong></p>
<p>Nội dung yêu cầu giải quyết: <strong>{escape(procedure.name)}</strong></p>
<p>Sau khi nghiên cứu, đối chiếu với các quy định hiện hành, cơ quan tiếp nhận hồ sơ từ chối tiếp nhận,
giải quyết hồ sơ này với lý do cụ thể như sau:</p>
<p class="reason" id="slip-reason">{escape(reason_words(dossier.refusal_reason))}</p>
<p>Xin thông báo cho Ông/Bà được biết và thực hiện./.</p>
<table class="signatures"><tr><td></td><td><strong>NGƯỜI TIẾP NHẬN HỒ SƠ</strong><br><em>(Ký và ghi rõ họ tên)</em>
<br><br><br>{escape(dossier.received_by or "")}</td></tr></table>"""
    at = dossier.updated_at
    head = HEAD.format(
        title=f"Phiếu từ chối {escape(dossier.code)}", agency=escape(agency_name.upper()), today=escape(form_date(at))
    )
    return head + body + TAIL
