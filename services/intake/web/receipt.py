"""The e-receipt (biên lai điện tử) of a paid fee, as printable HTML for the citizen. Every value is
escaped; the payer's name is not on it (the gateway's payer data is never kept)."""

from __future__ import annotations

from html import escape

from services.intake.domain.dossier import Dossier
from services.intake.domain.payments import DossierFee
from services.intake.web.slips import TAIL
from services.intake.web.vn_time import form_datetime
from shared.payment import PaymentMethod, vnd

METHOD_VI = {PaymentMethod.CASH: "Tiền mặt tại Bộ phận Một cửa", PaymentMethod.ONLINE: "Thanh toán trực tuyến"}


def receipt_page(dossier: Dossier, procedure_name: str, fee: DossierFee) -> str:
    assert fee.paid_method is not None and fee.paid_amount is not None
    rows = [
        ("Số biên lai", fee.receipt_no or "—", "receipt-no"),
        ("Mã hồ sơ", dossier.code, "receipt-code"),
        ("Thủ tục hành chính", procedure_name, "receipt-procedure"),
        ("Số tiền", vnd(fee.paid_amount), "receipt-amount"),
        ("Hình thức nộp", METHOD_VI[fee.paid_method], "receipt-method"),
        ("Thời gian nộp", form_datetime(fee.paid_at), "receipt-time"),
    ]
    table = "".join(f'<tr><th>{escape(k)}</th><td id="{i}">{escape(v)}</td></tr>' for k, v, i in rows)
    return f"""<!doctype html><html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Biên lai điện tử {escape(dossier.code)}</title>
<link rel="stylesheet" href="/assets/base.css"><link rel="stylesheet" href="/static/slip.css"></head>
<body><div class="no-print slip-tools"><button type="button" id="print">In biên lai</button></div>
<article class="slip" id="slip"><h1>BIÊN LAI THU PHÍ, LỆ PHÍ (ĐIỆN TỬ)</h1>
<table class="receipt">{table}</table>
<p><em>Biên lai điện tử có giá trị như biên lai giấy; ông/bà có thể in hoặc lưu lại.</em></p>{TAIL}"""
