"""A local stand-in for the payment gateway, modelled on VNPAY's payment API 2.1 (the national payment
platform's own specification is not public), checked as VNPAY documents it.

    python -m deploy.local.payment_gateway [--port 8091] [--tmn-code DVCLOCAL]
        [--hash-secret local-payment-secret] [--ipn-url http://127.0.0.1:8001/api/v1/payment/ipn]

GET /paymentv2/vpcpay.html?vnp_*&vnp_SecureHash=…: an order the merchant signed (HMAC-SHA512 over the
sorted, URL-encoded query with the hash secret) shows a payment page with a "Thanh toán" button; a
wrong signature, an unknown TmnCode or a bad amount answers 400 and shows no button. Paying (POST
/paymentv2/pay) calls the merchant's IPN URL server to server with the signed result
(vnp_ResponseCode 00, a new vnp_TransactionNo), then sends the browser to vnp_ReturnUrl with the same
signed parameters. GET /api/ipn-calls lists the IPN calls made and their answers, /api/last-ipn the
last signed parameters (so a test can replay them). Local tool, not product.
"""

from __future__ import annotations

import argparse
import html
import itertools
import time
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from shared.local_time import VN
from shared.payment import sign, signature_valid

PAY_PATH = "/paymentv2/vpcpay.html"
REQUIRED = ("vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_Amount", "vnp_TxnRef", "vnp_ReturnUrl")
RESULT_FIELDS = ("vnp_TmnCode", "vnp_Amount", "vnp_TxnRef", "vnp_OrderInfo")


def problem(params: dict[str, str], tmn_code: str, secret: str) -> str | None:
    """Why the gateway refuses an order (None: it takes it)."""
    if any(not params.get(f) for f in REQUIRED):
        return "thiếu tham số / missing parameters: " + ", ".join(f for f in REQUIRED if not params.get(f))
    if not signature_valid(params, secret):
        return "sai chữ ký / invalid signature"
    if params["vnp_TmnCode"] != tmn_code:
        return "mã website không tồn tại / unknown TmnCode"
    amount = params["vnp_Amount"]
    if not amount.isdigit() or int(amount) <= 0 or int(amount) % 100:
        return "số tiền không hợp lệ / invalid amount"
    return None


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"""<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:34rem;margin:3rem auto}}button{{font-size:1.1rem;padding:.6rem 1.4rem}}</style>
</head><body><h1>Cổng thanh toán (thử nghiệm)</h1>{body}</body></html>""",
        status_code=status,
    )


def create_app(tmn_code: str, secret: str, ipn_url: str) -> FastAPI:
    app = FastAPI(title="local payment gateway", docs_url=None, redoc_url=None, openapi_url=None)
    numbers = itertools.count(int(time.time()) % 10_000_000 * 100)
    calls: list[dict[str, Any]] = []

    @app.get(PAY_PATH)
    async def pay_page(request: Request) -> HTMLResponse:
        params = dict(request.query_params)
        refused = problem(params, tmn_code, secret)
        if refused:
            return page(
                "Giao dịch không hợp lệ", f'<p id="refused">Giao dịch không hợp lệ: {html.escape(refused)}</p>', 400
            )
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in params.items()
        )
        amount = f"{int(params['vnp_Amount']) // 100:,}".replace(",", ".")
        return page(
            "Thanh toán",
            f"""<p>Đơn hàng: <strong id="order">{html.escape(params["vnp_TxnRef"])}</strong></p>
<p>{html.escape(params.get("vnp_OrderInfo", ""))}</p><p>Số tiền: <strong id="amount">{amount} VND</strong></p>
<form method="post" action="/paymentv2/pay">{hidden}<button type="submit" id="pay">Thanh toán</button></form>""",
        )

    @app.post("/paymentv2/pay")
    async def pay(request: Request) -> Any:
        params = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        refused = problem(params, tmn_code, secret)
        if refused:
            return page("Giao dịch không hợp lệ", f'<p id="refused">{html.escape(refused)}</p>', 400)
        result = {k: params[k] for k in RESULT_FIELDS if k in params}
        result |= {
            "vnp_BankCode": "NCB",
            "vnp_CardType": "ATM",
            "vnp_PayDate": datetime.now(VN).strftime("%Y%m%d%H%M%S"),  # Hà Nội time, as documented
            "vnp_ResponseCode": "00",
            "vnp_TransactionNo": str(next(numbers)),
            "vnp_TransactionStatus": "00",
        }
        result["vnp_SecureHash"] = sign(result, secret)
        result["vnp_SecureHashType"] = "HmacSHA512"
        async with httpx.AsyncClient(timeout=15) as client:  # server to server, before the browser returns
            try:
                answer = (await client.get(ipn_url, params=result)).json()
            except (httpx.HTTPError, ValueError) as exc:
                answer = {"error": type(exc).__name__}
        calls.append({"params": result, "answer": answer})
        return RedirectResponse(f"{params['vnp_ReturnUrl']}?{urlencode(result)}", status_code=303)

    app.add_api_route("/api/ipn-calls", lambda: calls, methods=["GET"])
    app.add_api_route("/api/last-ipn", lambda: calls[-1]["params"] if calls else None, methods=["GET"])
    app.add_api_route("/health", lambda: {"status": "ok"}, methods=["GET"])
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--tmn-code", default="DVCLOCAL")
    parser.add_argument("--hash-secret", default="local-payment-secret")
    parser.add_argument("--ipn-url", default="http://127.0.0.1:8001/api/v1/payment/ipn")
    args = parser.parse_args()
    app = create_app(args.tmn_code, args.hash_secret, args.ipn_url)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
