"""Fee rules and the gateway signature, checked against a vector built independently here."""

import hashlib
import hmac

import pytest

from shared.payment import fee_problem, payment_matches, sign, signature_valid

SECRET = "SECRETKEYTEST0123456789"
PARAMS = {
    "vnp_Version": "2.1.0",
    "vnp_Command": "pay",
    "vnp_TmnCode": "DVCTEST1",
    "vnp_Amount": "15000000",
    "vnp_CurrCode": "VND",
    "vnp_TxnRef": "000.00.31.H26-261206-0001-1",
    "vnp_OrderInfo": "Nop phi ho so 000.00.31.H26",
    "vnp_ReturnUrl": "http://127.0.0.1:8001/portal/payment/return",
}


def test_signature_matches_the_documented_algorithm() -> None:
    # Written out by hand: keys in order, spaces as '+', '/' and ':' percent-encoded.
    text = (
        "vnp_Amount=15000000&vnp_Command=pay&vnp_CurrCode=VND"
        "&vnp_OrderInfo=Nop+phi+ho+so+000.00.31.H26"
        "&vnp_ReturnUrl=http%3A%2F%2F127.0.0.1%3A8001%2Fportal%2Fpayment%2Freturn"
        "&vnp_TmnCode=DVCTEST1&vnp_TxnRef=000.00.31.H26-261206-0001-1&vnp_Version=2.1.0"
    )
    expected = hmac.new(SECRET.encode(), text.encode(), hashlib.sha512).hexdigest()
    assert sign(PARAMS, SECRET) == expected


def test_signature_verified_and_forgeries_refused() -> None:
    signed = {**PARAMS, "vnp_SecureHash": sign(PARAMS, SECRET), "vnp_SecureHashType": "HmacSHA512"}
    assert signature_valid(signed, SECRET)
    assert not signature_valid({**signed, "vnp_Amount": "15000100"}, SECRET)
    assert not signature_valid(signed, SECRET + "x")
    assert not signature_valid(PARAMS, SECRET)


@pytest.mark.parametrize("amount", [0, -1, 10**12 + 1, True])
def test_bad_fees_refused(amount: int) -> None:
    assert fee_problem(amount) is not None


@pytest.mark.parametrize("amount", [1, 150_000, 10**12])
def test_good_fees_accepted(amount: int) -> None:
    assert fee_problem(amount) is None


def test_payment_must_equal_the_fee() -> None:
    assert payment_matches(150_000, 150_000)
    assert not payment_matches(150_000, 149_999)
