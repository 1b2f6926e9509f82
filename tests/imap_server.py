"""A real IMAP server for the tests: Debian's dovecot, run as a throwaway instance on 127.0.0.1.

Its own configuration, mail, passwd-file users and a self-signed certificate (made here with
openssl, for 127.0.0.1) live in a temporary folder; it runs unprivileged (as ``nobody`` when the
tests run as root) and is stopped, by its own process id, when the session ends.
``scripts/install-system-deps.sh`` installs dovecot (the ``dovecot-imapd`` package).
"""
from __future__ import annotations

import imaplib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dovecot:
    """One dovecot instance: ``imaps_port`` (TLS from the start), ``imap_port`` (STARTTLS),
    ``cafile`` (its certificate, to trust), and a mailbox per :meth:`add_user`."""

    def __init__(self) -> None:
        if not os.path.exists(DOVECOT):
            raise RuntimeError("dovecot is not installed: run scripts/install-system-deps.sh (make test does)")
        self.dir = Path(tempfile.mkdtemp(prefix="planbook-dovecot-"))
        self.imaps_port, self.imap_port = _free_port(), _free_port()
        self.cafile = self.dir / "cert.pem"
        self.passwd = self.dir / "passwd"
        root = os.getuid() == 0
        self.uid, self.gid = (65534, 65534) if root else (os.getuid(), os.getgid())
        import grp
        import pwd

        user, group = pwd.getpwuid(self.uid).pw_name, grp.getgrgid(self.gid).gr_name
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-keyout", str(self.dir / "key.pem"), "-out", str(self.cafile), "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], check=True, capture_output=True)
        for sub in ("run", "state", "home"):
            (self.dir / sub).mkdir()
        self.passwd.write_text("")
        d = self.dir
        (d / "dovecot.conf").write_text(f"""
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{d}/cert.pem
ssl_key = <{d}/key.pem
auth_mechanisms = plain login xoauth2
verbose_proctitle = yes
default_login_user = {user}
default_internal_user = {user}
default_internal_group = {group}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid={self.uid} gid={self.gid} home={d}/home/%u
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = {self.imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
""")
        for path in [d, *d.rglob("*")]:
            os.chown(path, self.uid, self.gid)
        extra = {"user": self.uid, "group": self.gid, "extra_groups": []} if root else {}
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(d / "dovecot.conf")], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, **extra)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.imaps_port), timeout=1):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"dovecot did not start: {self.log()}")

    def log(self) -> str:
        try:
            return (self.dir / "dovecot.log").read_text()
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def add_user(self, name: str, password: str) -> str:
        """A new mailbox user. dovecot looks at its passwd-file at most once a wall-clock second
        (it skips the check when it already looked in the same second), so a login in the second
        the user was written could still be refused: wait for the next second before returning."""
        with open(self.passwd, "a") as fh:
            fh.write(f"{name}:{{PLAIN}}{password}::::::\n")
        written = time.time()
        time.sleep(max(0.0, int(written) + 1.02 - time.time()))
        return name

    def connect(self, user: str, password: str) -> imaplib.IMAP4_SSL:
        """A plain imaplib session of the test's own, to fill and inspect a mailbox."""
        ctx = ssl.create_default_context(cafile=str(self.cafile))
        box = imaplib.IMAP4_SSL("127.0.0.1", self.imaps_port, ssl_context=ctx, timeout=20)
        box.login(user, password)
        return box

    def imap_processes(self, user: str) -> list[int]:
        """The pids of the imap processes serving ``user`` (children of this instance)."""
        out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True).stdout
        return [int(line.split(None, 1)[0]) for line in out.splitlines()
                if "dovecot/imap " in line + " " and f"[{user} " in line]

    def pause(self, user: str) -> list[int]:
        pids = self.imap_processes(user)
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        return pids

    def resume(self, pids: list[int]) -> None:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
