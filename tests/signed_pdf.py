"""PDFs for the electronic-result tests, written byte by byte: a one-page PDF, and the same signed
the way PDF signers do it (a signature dictionary whose /ByteRange covers the file but the hole of
/Contents, which holds a detached CMS SignedData over those bytes, made with `cryptography`)."""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

HOLE = 8192  # hex digits kept for /Contents: a CMS with one certificate fits in half
_BYTE_RANGE_SLOT = b"/ByteRange [0 0000000000 0000000000 0000000000]"


def _objects(extra: bytes = b"") -> list[bytes]:
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>" + extra,
    ]


def _pdf(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def plain_pdf() -> bytes:
    return _pdf(_objects())


Signer = tuple[x509.Certificate, ec.EllipticCurvePrivateKey]


def signer(
    name: str = "Sở Tài nguyên và Môi trường (thử nghiệm)",
    issuer: Signer | None = None,
    *,
    ca: bool = False,
    days: int = 30,
) -> Signer:
    """A key and its certificate: self-signed, or issued by `issuer` (a CA when `ca`)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    issuer_cert, issuer_key = issuer if issuer else (None, key)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject if issuer_cert else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )
    return cert, key


def signed_pdf(by: Signer | None = None, carried: tuple[x509.Certificate, ...] = ()) -> bytes:
    """A PDF with one signature covering the whole file, as a signing tool writes it: by `by` (a
    self-signed certificate when None), with `carried` certificates (intermediates) beside it."""
    cert, key = by or signer()
    sig = b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached " + _BYTE_RANGE_SLOT
    sig += b" /Contents <" + b"0" * HOLE + b"> >>"
    objects = [*_objects(b""), sig]
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] /SigFlags 3 >> >>"
    pdf = bytearray(_pdf(objects))
    start = pdf.index(b"/Contents <") + len(b"/Contents ")
    end = start + HOLE + 2
    byte_range = b"/ByteRange [0 %010d %010d %010d]" % (start, end, len(pdf) - end)
    at = pdf.index(_BYTE_RANGE_SLOT)
    pdf[at : at + len(_BYTE_RANGE_SLOT)] = byte_range
    signed = bytes(pdf[:start] + pdf[end:])
    builder = pkcs7.PKCS7SignatureBuilder().set_data(signed).add_signer(cert, key, hashes.SHA256())
    for extra in carried:
        builder = builder.add_certificate(extra)
    cms = builder.sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary])
    contents = cms.hex().encode()
    assert len(contents) <= HOLE, "the signature does not fit its hole"
    pdf[start + 1 : start + 1 + len(contents)] = contents
    return bytes(pdf)


def with_byte_range_but_no_signature() -> bytes:
    """What a careless tool may write: a signature field's shape with zeros instead of a signature."""
    pdf = bytearray(signed_pdf())
    start = pdf.index(b"/Contents <") + len(b"/Contents <")
    pdf[start : start + HOLE] = b"0" * HOLE
    return bytes(pdf)
