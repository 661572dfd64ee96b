"""A throwaway Mosquitto on loopback with TLS, per-station logins and the federation ACL: for
the tests (tests/integration/federation) and the demo of several stations (``ecopatrol demo
--stations 2``). Not for a deployment: its CA lives a day and its key sits in a temp folder.

The test CA and the server certificate (for 127.0.0.1 and localhost) are made with
``cryptography`` when the broker is made. Every station logs in as its station id and may write
only under ``ecopatrol/v1/<id>/`` and read only its own commands; the ``centre`` reads
everything and writes only commands. Persistence is on, so a restarted broker keeps the
sessions of clients that were away (the outage tests stop and start it on the same port).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

#: QoS 1 messages the broker holds per client beyond those in flight. Mosquitto's default (1000)
#: drops the rest silently: a station catching up after a 60 s cut (20 drones at 2 Hz) lost half
#: its backlog, and another station's live frames, in bench/federation.py. The centre's session
#: must hold a whole outage: stations x drones x frame rate x the longest cut (10 x 20 x 2 Hz x
#: 10 min = 240 000 frames, under 300 MB), with room to spare.
MAX_QUEUED_MESSAGES = 1_000_000
#: Mosquitto sends a client at most this many QoS 1 messages it has not acknowledged (default
#: 20). The centre acknowledges an event once its batch is committed, so this caps its batches
#: (``centre.BATCH_MAX``).
MAX_INFLIGHT_MESSAGES = 100

ACL = """\
user centre
topic read ecopatrol/v1/#
topic write ecopatrol/v1/+/commands

pattern write ecopatrol/v1/%u/events/#
pattern read ecopatrol/v1/%u/commands
pattern write ecopatrol/v1/%u/handover/+
pattern read ecopatrol/v1/+/handover/%u
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """``(ca.pem, server.pem, server.key)`` in `folder`: a test CA and a loopback server cert."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("ecopatrol test CA"))
        .issuer_name(_name("ecopatrol test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    alt = x509.SubjectAlternativeName(
        [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(alt, critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


class Mosquitto:
    """One broker process; :meth:`stop` and :meth:`start` again keep the port and the state."""

    def __init__(self, binary: Path, logins: dict[str, str], root: Path | None = None) -> None:
        self.binary = binary
        self.root = root or Path(tempfile.mkdtemp(prefix="ecopatrol-mqtt-"))
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.logins = logins
        self.ca, cert, key = make_certificates(self.root)
        passwd = self.root / "passwd"
        passwd.touch()
        tool = shutil.which("mosquitto_passwd") or "mosquitto_passwd"
        for user, password in logins.items():
            subprocess.run(
                [tool, "-b", str(passwd), user, password],
                check=True,
                capture_output=True,
                timeout=30,
            )
        (self.root / "acl").write_text(ACL)
        (self.root / "data").mkdir()
        self.conf = self.root / "mosquitto.conf"
        self.conf.write_text(
            f"per_listener_settings false\n"
            f"allow_anonymous false\n"
            f"password_file {passwd}\n"
            f"acl_file {self.root / 'acl'}\n"
            f"persistence true\n"
            f"max_queued_messages {MAX_QUEUED_MESSAGES}\n"
            f"max_inflight_messages {MAX_INFLIGHT_MESSAGES}\n"
            f"persistence_location {self.root / 'data'}/\n"
            f"log_dest file {self.root / 'log'}\n"
            f"log_type all\n"
            f"listener {self.port} 127.0.0.1\n"
            f"cafile {self.ca}\ncertfile {cert}\nkeyfile {key}\n"
            f"tls_version tlsv1.2\n"
        )
        if os.geteuid() == 0:  # mosquitto drops root for its own user: let it read its files
            owner = pwd.getpwnam("mosquitto")
            for path in [self.root, *self.root.rglob("*")]:
                os.chown(path, owner.pw_uid, owner.pw_gid)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(self.binary), "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"mosquitto exited: {err}\n{self.log()}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not listen on {self.port}\n{self.log()}")

    def stop(self) -> None:
        """Stop gracefully (SIGTERM: the persistence file is written)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def log(self) -> str:
        path = self.root / "log"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def mosquitto_binary() -> Path | None:
    found = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
    )
    return Path(found) if found else None
