"""The local brokers' TLS: a private CA and one broker certificate (SAN 127.0.0.1 and localhost),
made once per checkout in .local/kafka-tls/ (folder 0700, files 0600) with the openssl CLI, and
read by Kafka as PEM (Kafka 2.7 and later): no Java keystore, no keytool.

Every profile's brokers share the certificate: they all listen on the loopback. Clients trust
ca.crt (KAFKA_SSL_CAFILE) and check the broker's name against it as usual.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from ._common import REPO_ROOT, file_lock, say

TLS_DIR = REPO_ROOT / ".local" / "kafka-tls"
CA_CERT = TLS_DIR / "ca.crt"
# The broker's private key followed by its certificate and the CA's: Kafka's PEM keystore file.
BROKER_KEYSTORE = TLS_DIR / "broker.pem"
HOSTS = ("IP:127.0.0.1", "DNS:localhost")
DAYS = 3650  # a checkout's lifetime; `make clean` (or deleting the folder) makes new ones


def _openssl(*args: str) -> None:
    result = subprocess.run(["openssl", *args], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise RuntimeError(f"Kafka TLS: openssl {args[0]} failed:\n{result.stderr[-2000:]}")


def _make(folder: Path) -> None:
    """CA and broker certificate into `folder` (a fresh one: files replace each other at the end)."""
    ca_key, key, csr, cert = (folder / n for n in ("ca.key", "broker.key", "broker.csr", "broker.crt"))
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes")
    _openssl(
        "req", "-x509", *ec, "-keyout", str(ca_key), "-out", str(folder / "ca.crt"), "-days", str(DAYS),
        "-subj", "/O=dvc-dossiers local/CN=Local Kafka CA",
        "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    _openssl("req", "-new", *ec, "-keyout", str(key), "-out", str(csr), "-subj", "/O=dvc-dossiers local/CN=localhost")
    extensions = folder / "broker.ext"
    extensions.write_text(
        f"subjectAltName={','.join(HOSTS)}\nbasicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n"
    )
    _openssl(
        "x509", "-req", "-in", str(csr), "-CA", str(folder / "ca.crt"), "-CAkey", str(ca_key),
        "-CAcreateserial", "-days", str(DAYS), "-sha256", "-extfile", str(extensions), "-out", str(cert),
    )  # fmt: skip
    # PKCS#8, unencrypted (no ssl.key.password): what Kafka's PEM keystore reads.
    (folder / "broker.pem").write_text(key.read_text() + cert.read_text() + (folder / "ca.crt").read_text())
    for leftover in (csr, extensions, cert, key, folder / "ca.srl"):
        leftover.unlink(missing_ok=True)


def ensure() -> Path:
    """The folder with ca.crt, ca.key and broker.pem, made the first time only."""
    if CA_CERT.is_file() and BROKER_KEYSTORE.is_file():
        return TLS_DIR
    TLS_DIR.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(TLS_DIR.parent / ".kafka-tls.lock"):
        if CA_CERT.is_file() and BROKER_KEYSTORE.is_file():
            return TLS_DIR  # another launcher made them meanwhile
        old = os.umask(0o077)  # folder 0700, files 0600 from their creation on
        try:
            TLS_DIR.mkdir(mode=0o700, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=TLS_DIR) as tmp:
                _make(Path(tmp))
                for name in ("ca.key", "broker.pem", "ca.crt"):  # ca.crt last: ensure() checks it first
                    (Path(tmp) / name).replace(TLS_DIR / name)
        finally:
            os.umask(old)
        say(f"Kafka: made a private CA and the brokers' certificate in {TLS_DIR}")
    return TLS_DIR


def ca_file() -> str:
    """What local clients trust (KAFKA_SSL_CAFILE)."""
    ensure()
    return str(CA_CERT)


def broker_properties() -> str:
    """The TLS lines of a broker's server.properties (listener-wide: the client listener is the
    only one that speaks TLS)."""
    ensure()
    return f"""\
ssl.keystore.type=PEM
ssl.keystore.location={BROKER_KEYSTORE}
ssl.truststore.type=PEM
ssl.truststore.location={CA_CERT}
ssl.endpoint.identification.algorithm=https
ssl.enabled.protocols=TLSv1.3,TLSv1.2
ssl.client.auth=none"""
