"""An electronic result (issue 15): a PDF that carries a digital signature. Pure.

Checked here: the bytes are a PDF (magic and end marker), within the size cap, and hold a signature
dictionary whose `/ByteRange` covers the whole file but the hole where `/Contents` is, and whose
`/Contents` is a CMS SignedData carrying the signer's certificate. Not checked: that the signature
verifies against the signed bytes and chains to a trusted root (docs/decisions.md, "Digitisation and
e-results", says why and what it would take).
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass

from cryptography.hazmat.primitives.serialization import pkcs7

from shared.errors import InvalidRequest

PDF_MAGIC = b"%PDF-"
_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d{1,12})\s+(\d{1,12})\s+(\d{1,12})\s+(\d{1,12})\s*\]")
_CONTENTS = re.compile(rb"/Contents\s*<")
# DER of OBJECT IDENTIFIER 1.2.840.113549.1.7.2 (PKCS #7 / CMS signedData)
SIGNED_DATA_OID = bytes.fromhex("06092a864886f70d010702")


class ResultRefused(InvalidRequest):
    def __init__(self, vi: str, en: str):
        super().__init__(vi, en, field="pdf_base64")


@dataclass(frozen=True)
class SignedPdf:
    data: bytes
    signers: int  # certificates in the signature


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB"


def check_signed_pdf(data: bytes, max_bytes: int) -> SignedPdf:
    """The PDF when it is one and carries a signature dictionary covering it; ResultRefused naming
    what is wrong otherwise."""
    if len(data) > max_bytes:
        raise ResultRefused(f"Tệp kết quả vượt quá {_mb(max_bytes)}", f"The result file exceeds {_mb(max_bytes)}")
    if not data.startswith(PDF_MAGIC) or b"%%EOF" not in data[-1024:]:
        raise ResultRefused("Tệp kết quả không phải là tệp PDF", "The result file is not a PDF")
    # The last signature is the one that covers the whole file (earlier ones cover its older revisions).
    ranges = list(_BYTE_RANGE.finditer(data))
    whole = [m for m in ranges if _covers(data, *(int(g) for g in m.groups()))]
    if not whole:
        raise ResultRefused(
            "Tệp PDF chưa được ký số (không có chữ ký bao trùm toàn bộ tệp)",
            "The PDF is not digitally signed (no signature covers the whole file)",
        )
    start, length, _, _ = (int(g) for g in whole[-1].groups())
    hole = data[start + length : int(whole[-1].group(3))]
    der = _signature_bytes(hole)
    if der is None or SIGNED_DATA_OID not in der[:32]:
        raise ResultRefused(
            "Chữ ký số trong tệp PDF không đúng cấu trúc (CMS SignedData)",
            "The PDF's signature is not a CMS SignedData structure",
        )
    try:
        certificates = pkcs7.load_der_pkcs7_certificates(der)
    except ValueError:
        certificates = []
    if not certificates:
        raise ResultRefused(
            "Chữ ký số trong tệp PDF không kèm chứng thư số của người ký",
            "The PDF's signature carries no signer certificate",
        )
    return SignedPdf(data, len(certificates))


def _covers(data: bytes, a: int, b: int, c: int, d: int) -> bool:
    """[a, a+b) and [c, c+d) are the whole file but a hole holding the signature, from the start."""
    return a == 0 and 0 < b < c and c + d == len(data) and _CONTENTS.search(data, max(0, b - 64), b + 1) is not None


def _signature_bytes(hole: bytes) -> bytes | None:
    """The DER the `<hex>` of /Contents holds (its zero padding left on: DER knows its length)."""
    if len(hole) < 4 or hole[:1] != b"<" or hole[-1:] != b">":
        return None
    try:
        padded = binascii.unhexlify(b"".join(hole[1:-1].split()))
    except (binascii.Error, ValueError):
        return None
    return _one_der_sequence(padded)


def _one_der_sequence(data: bytes) -> bytes | None:
    """The DER SEQUENCE at the start of `data`, without what follows it (the padding)."""
    if len(data) < 2 or data[0] != 0x30:
        return None
    first = data[1]
    if first < 0x80:
        size, header = first, 2
    else:
        octets = first & 0x7F
        if not 0 < octets <= 4 or len(data) < 2 + octets:
            return None
        size, header = int.from_bytes(data[2 : 2 + octets], "big"), 2 + octets
    return data[: header + size] if header + size <= len(data) else None
