"""The electronic result's checks: a PDF, under the cap, carrying a signature that covers it."""

from __future__ import annotations

import pytest

from services.resolution.domain.signed_pdf import ResultRefused, check_signed_pdf
from tests.signed_pdf import plain_pdf, signed_pdf, with_byte_range_but_no_signature

CAP = 1024 * 1024


def test_a_signed_pdf_passes_with_its_signer_certificate():
    pdf = signed_pdf()
    assert check_signed_pdf(pdf, CAP).signers == 1


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
        check_signed_pdf(data, CAP)
    assert words in refused.value.en and refused.value.vi and refused.value.detail == {"field": "pdf_base64"}


def test_a_tampered_signature_or_an_oversized_file_is_refused():
    pdf = bytearray(signed_pdf())
    at = pdf.index(b"/Contents <") + len(b"/Contents <")
    pdf[at : at + 2] = b"31"  # no longer a DER SEQUENCE
    with pytest.raises(ResultRefused, match="SignedData"):
        check_signed_pdf(bytes(pdf), CAP)
    with pytest.raises(ResultRefused, match="exceeds"):
        check_signed_pdf(signed_pdf(), 1000)
