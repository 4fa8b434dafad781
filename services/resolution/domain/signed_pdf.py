"""An electronic result (issue 15): a PDF that carries a valid digital signature. Pure.

Checked here: the bytes are a PDF (magic and end marker) within the size cap; a signature dictionary's
`/ByteRange` covers the whole file but the hole where `/Contents` is; `/Contents` is a CMS SignedData
(PAdES / adbe.pkcs7.detached) whose signed attributes' message digest is the digest of the covered
bytes and whose signature over those attributes verifies with a certificate it carries; and, when
trust roots are given, that certificate chains to one of them and is valid now. Not checked: revocation
(OCSP, CRL) and timestamps (docs/decisions.md, "Digitisation and e-results").
"""

from __future__ import annotations

import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7

from shared.errors import InvalidRequest

PDF_MAGIC = b"%PDF-"
_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d{1,12})\s+(\d{1,12})\s+(\d{1,12})\s+(\d{1,12})\s*\]")
_CONTENTS = re.compile(rb"/Contents\s*<")
# DER of OBJECT IDENTIFIER 1.2.840.113549.1.7.2 (PKCS #7 / CMS signedData)
SIGNED_DATA_OID = bytes.fromhex("06092a864886f70d010702")
_MESSAGE_DIGEST = bytes.fromhex("2a864886f70d010904")  # 1.2.840.113549.1.9.4, the value of the OID
_DIGESTS = {  # NIST hash OIDs (2.16.840.1.101.3.4.2.x): hashlib's name, cryptography's algorithm
    bytes.fromhex("608648016503040201"): ("sha256", hashes.SHA256),
    bytes.fromhex("608648016503040202"): ("sha384", hashes.SHA384),
    bytes.fromhex("608648016503040203"): ("sha512", hashes.SHA512),
}
_CHAIN_DEPTH = 5


class ResultRefused(InvalidRequest):
    def __init__(self, vi: str, en: str):
        super().__init__(vi, en, field="pdf_base64")


@dataclass(frozen=True)
class SignedPdf:
    data: bytes
    certificates: int  # carried by the signature (the signer's and any intermediates)


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB"


def check_signed_pdf(
    data: bytes, max_bytes: int, *, now: datetime, trust_roots: list[x509.Certificate] | None = None
) -> SignedPdf:
    """The PDF when it is one and carries a valid signature covering it (by a certificate chaining to
    `trust_roots` when given); ResultRefused naming what is wrong otherwise."""
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
    covered = data[:length] + data[int(whole[-1].group(3)) :]
    signer = _verified_signer(der, covered, certificates)
    if trust_roots is not None:
        _check_chain(signer, certificates, trust_roots, now)
    return SignedPdf(data, len(certificates))


def _broken() -> ResultRefused:
    return ResultRefused(
        "Chữ ký số không hợp lệ: tệp đã bị sửa sau khi ký hoặc chữ ký không khớp chứng thư",
        "The signature is not valid: the file changed after signing or the signature does not match its certificate",
    )


def _verified_signer(der: bytes, covered: bytes, certificates: list[x509.Certificate]) -> x509.Certificate:
    """The certificate whose key made the first signer's signature over its signed attributes, whose
    message digest must be the covered bytes' digest; ResultRefused otherwise."""
    try:
        _, explicit = _children(der, *_only(der, 0, len(der)))[:2]
        signed_data = _children(der, *_range(explicit))[0]
        signer_infos = _children(der, *_range(signed_data))[-1]
        signer_info = _children(der, *_range(signer_infos))[0]
        parts = _children(der, *_range(signer_info))
        digest_oid = der[slice(*_range(_children(der, *_range(parts[2]))[0]))]
        attrs = next(p for p in parts[3:] if p[0] == 0xA0)
        signature = der[slice(*_range(parts[-1]))] if parts[-1][0] == 0x04 else der[slice(*_range(parts[-2]))]
    except (IndexError, StopIteration, ValueError):
        raise _broken() from None
    if digest_oid not in _DIGESTS:
        raise ResultRefused(
            "Chữ ký số dùng thuật toán băm không được hỗ trợ (SHA-256, SHA-384, SHA-512)",
            "The signature uses an unsupported digest (SHA-256, SHA-384 or SHA-512 are)",
        )
    name, algorithm = _DIGESTS[digest_oid]
    if _message_digest(der, attrs) != hashlib.new(name, covered).digest():
        raise _broken()
    signed = b"\x31" + der[attrs[3] + 1 : attrs[2]]  # signed attributes are signed as a SET (RFC 5652, 5.4)
    for certificate in certificates:
        if _verifies(certificate, signature, signed, algorithm()):
            return certificate
    raise _broken()


def _verifies(certificate: x509.Certificate, signature: bytes, signed: bytes, algorithm) -> bool:
    key = certificate.public_key()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, signed, ec.ECDSA(algorithm))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signed, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, signed)
        else:
            return False
    except InvalidSignature:
        return False
    return True


def _message_digest(der: bytes, attrs: tuple[int, int, int, int]) -> bytes | None:
    for attribute in _children(der, *_range(attrs)):
        oid, values = _children(der, *_range(attribute))[:2]
        if der[slice(*_range(oid))] == _MESSAGE_DIGEST:
            value = _children(der, *_range(values))[0]
            return der[slice(*_range(value))]
    return None


def _check_chain(
    signer: x509.Certificate, carried: list[x509.Certificate], roots: list[x509.Certificate], now: datetime
) -> None:
    """The signer's certificate leads to one of `roots` through the certificates the signature carries,
    each valid now; ResultRefused otherwise."""
    current = signer
    for _ in range(_CHAIN_DEPTH):
        if not current.not_valid_before_utc <= now <= current.not_valid_after_utc:
            break
        if current in roots:
            return
        issuer = next((c for c in [*roots, *carried] if c != current and _issued(current, c)), None)
        if issuer is None:
            break
        current = issuer
    raise ResultRefused(
        "Chứng thư số của người ký không do tổ chức chứng thực được tin cậy cấp, hoặc đã hết hiệu lực",
        "The signer's certificate is not issued by a trusted authority, or is not valid now",
    )


def _issued(child: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


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
    try:
        tag, _, end, _ = _element(padded, 0)
    except ValueError:
        return None
    return padded[:end] if tag == 0x30 else None  # without the zero padding after it


# A minimal DER reader, enough to walk a CMS SignedData: each element as (tag, start of its value,
# end of its value, start of the element).


def _only(data: bytes, start: int, end: int) -> tuple[int, int]:
    tag, vstart, vend, _ = _element(data, start)
    if tag != 0x30 or vend > end:
        raise ValueError("not a SEQUENCE")
    return vstart, vend


def _range(element: tuple[int, int, int, int]) -> tuple[int, int]:
    return element[1], element[2]


def _element(data: bytes, at: int) -> tuple[int, int, int, int]:
    if at + 2 > len(data):
        raise ValueError("truncated")
    tag, first = data[at], data[at + 1]
    if first < 0x80:
        size, header = first, 2
    else:
        octets = first & 0x7F
        if not 0 < octets <= 4:
            raise ValueError("bad length")
        size, header = int.from_bytes(data[at + 2 : at + 2 + octets], "big"), 2 + octets
    if at + header + size > len(data):
        raise ValueError("truncated")
    return tag, at + header, at + header + size, at


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    out, at = [], start
    while at < end:
        element = _element(data, at)
        out.append(element)
        at = element[2]
    return out
