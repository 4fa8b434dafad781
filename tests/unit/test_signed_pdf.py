"""The electronic result's checks: a PDF, under the cap, whose signature covers it, verifies, and
(when trust roots are set) chains to one of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.resolution.domain.signed_pdf import ResultRefused, check_signed_pdf
from tests.signed_pdf import plain_pdf, signed_pdf, signer, with_byte_range_but_no_signature

CAP = 1024 * 1024
NOW = datetime.now(UTC)


def check(data: bytes, cap: int = CAP, **options):
    return check_signed_pdf(data, cap, now=options.pop("now", NOW), **options)


def test_a_signed_pdf_passes_with_its_signer_certificate():
    assert check(signed_pdf()).certificates == 1


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"0" * 100, "not a PDF"),
        (plain_pdf(), "not digitally signed"),
        (with_byte_range_but_no_signature(), "not a CMS SignedData"),
        (signed_pdf() + b"% appended after signing\n%%EOF\n", "not digitally signed"),  # the range no longer covers it
    ],
)
def test_what_is_not_a_signed_pdf_is_refused_in_both_languages(data, words):
    with pytest.raises(ResultRefused) as refused:
        check(data)
    assert words in refused.value.en and refused.value.vi and refused.value.detail == {"field": "pdf_base64"}


def test_a_file_changed_after_signing_or_a_foreign_signature_is_refused():
    pdf = signed_pdf()
    changed = pdf.replace(b"/MediaBox [0 0 595 842]", b"/MediaBox [0 0 842 595]")  # same length, other page
    assert changed != pdf
    with pytest.raises(ResultRefused, match="changed after signing"):
        check(changed)
    # The signature's own bytes changed (its last octet): the digest still matches, the signature not.
    start = pdf.index(b"/Contents <") + len(b"/Contents <")
    der = bytearray.fromhex(pdf[start : start + 8].decode())
    assert der[:2] == b"\x30\x82", "a SignedData of a few KB"
    end = start + 2 * (4 + int.from_bytes(der[2:4], "big"))  # the DER's end, in hex digits, before the padding
    last = int(pdf[end - 2 : end], 16)
    forged = pdf[: end - 2] + b"%02x" % (last ^ 1) + pdf[end:]
    with pytest.raises(ResultRefused, match="not valid"):
        check(forged)


def test_a_tampered_signature_or_an_oversized_file_is_refused():
    pdf = bytearray(signed_pdf())
    at = pdf.index(b"/Contents <") + len(b"/Contents <")
    pdf[at : at + 2] = b"31"  # no longer a DER SEQUENCE
    with pytest.raises(ResultRefused, match="SignedData"):
        check(bytes(pdf))
    with pytest.raises(ResultRefused, match="exceeds"):
        check(signed_pdf(), 1000)


def test_with_trust_roots_the_signer_must_chain_to_one_and_be_valid_now():
    root = signer("Root CA (thử nghiệm)", ca=True, days=3650)
    intermediate = signer("Signing CA (thử nghiệm)", root, ca=True, days=365)
    official = signer("Sở Tư pháp (thử nghiệm)", intermediate)
    roots = [root[0]]
    assert check(signed_pdf(official, (intermediate[0],)), trust_roots=roots).certificates == 2
    for refused in [
        signed_pdf(official),  # the intermediate not carried: no path to the root
        signed_pdf(),  # self-made
    ]:
        with pytest.raises(ResultRefused, match="trusted authority"):
            check(refused, trust_roots=roots)
    with pytest.raises(ResultRefused, match="not valid now"):
        check(signed_pdf(official, (intermediate[0],)), trust_roots=roots, now=NOW + timedelta(days=60))
