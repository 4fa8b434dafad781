"""Form 02 (Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ, Circular 03/2025/TT-VPCP) as printable HTML.

Rendered on the server like forms 01 and 03 (services/intake/web/slips.py), with their head.
Every value is escaped.
"""

from __future__ import annotations

from html import escape

from services.intake.adapters.supplement_sql import SupplementRequest
from services.intake.domain.catalogue import Procedure
from services.intake.domain.dossier import Dossier
from services.intake.web.slips import HEAD, TAIL
from services.intake.web.vn_time import form_date, form_datetime


def supplement_request(dossier: Dossier, procedure: Procedure, agency_name: str, request: SupplementRequest) -> str:
    """Form 02: Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ."""
    a = dossier.applicant
    items = "".join(f"<li>{escape(d)}</li>" for d in request.missing_documents)
    reason = f'<p>Lý do: <span id="form02-reason">{escape(request.reason)}</span></p>' if request.reason else ""
    body = f"""
<h1>PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ</h1>
<p class="center">Mã hồ sơ: <strong id="slip-code">{escape(dossier.code)}</strong></p>
<p>{escape(agency_name)} tiếp nhận hồ sơ của: <strong id="form02-applicant">{escape(a.name)}</strong></p>
<p>Nội dung yêu cầu giải quyết: <strong id="form02-procedure">{escape(procedure.name)}</strong>
(mã thủ tục {escape(procedure.code)})</p>
<p>Sau khi kiểm tra, đối chiếu, hồ sơ chưa đầy đủ, hợp lệ. Đề nghị Ông/Bà bổ sung, hoàn thiện hồ sơ gồm
những nội dung sau:</p>
<ol class="slip-items" id="form02-documents">{items}</ol>
{reason}
<p>Thời hạn bổ sung, hoàn thiện hồ sơ: trước <strong id="form02-due">{escape(form_datetime(request.due_at))}</strong>.
Quá thời hạn này mà hồ sơ chưa được bổ sung, cơ quan tiếp nhận sẽ từ chối tiếp nhận hồ sơ.</p>
<p>Trong quá trình hoàn thiện hồ sơ, nếu có vướng mắc, Ông/Bà liên hệ Bộ phận Một cửa, {escape(agency_name)}
để được hướng dẫn.</p>
<table class="signatures"><tr><td></td><td><strong>NGƯỜI HƯỚNG DẪN</strong><br><em>(Ký và ghi rõ họ tên)</em>
<br><br><br><span id="form02-clerk">{escape(request.requested_by)}</span></td></tr></table>"""
    head = HEAD.format(
        title=f"Phiếu yêu cầu bổ sung {escape(dossier.code)}",
        agency=escape(agency_name.upper()),
        today=escape(form_date(request.requested_at)),
    )
    return head + body + TAIL
