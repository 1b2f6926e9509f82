"""Benchmark collecting returns from email; prints its figures (not a test).

A plan of 40 leads; a mailbox of 400 messages: each lead's return (about 30 kB, its workbook
attached), a second copy from every fourth lead, and 350 other messages (notes, a .docx, no
attachment).  Timed: the first collect (every message fetched and read, every workbook
checked and read as a return), and a second collect (nothing new: the messages are known by
their Message-ID from the headers alone).  Both from a folder of saved .eml files and, when
dovecot is installed (scripts/install-system-deps.sh), from a real IMAP server on 127.0.0.1
over TLS.  Figures are medians of ``--repeat`` runs, each into a fresh returns folder.

    python benchmarks/collect.py [--repeat N]
"""
from __future__ import annotations

import argparse
import datetime as dt
import imaplib
import os
import shutil
import statistics
import sys
import tempfile
import time
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from planbook import Action, Lead, PlanInfo, write_plan
from planbook.mail.collect import collect_returns
from planbook.mail.imap import ImapSettings
from planbook.workbook.split import split_plan

LEADS, OTHERS = 40, 350


def _mail(folder: Path) -> tuple[Path, list[bytes]]:
    leads = [Lead(f"Lead {i:02d}", f"lead{i:02d}@council.example") for i in range(LEADS)]
    info = PlanInfo(title="Benchmark plan", period="Q2 2009/10", leads=leads, themes=["Staying Safe"],
                    coordinator="Pat", coordinator_email="plans@council.example")
    actions = [Action(f"{i}.{j}", f"Action {j} of lead {i}", lead.name, theme="Staying Safe", status="On track",
                      progress="Last quarter's note " * 5) for i, lead in enumerate(leads) for j in range(20)]
    plan = folder / "plan.xlsx"
    write_plan(plan, info, actions)
    split_plan(plan, folder / "copies")
    messages = []
    when = dt.datetime(2009, 9, 1, 9, 0).astimezone()
    for n in range(LEADS + LEADS // 4 + OTHERS):
        msg = EmailMessage()
        i = n % LEADS
        msg["From"] = leads[i].email
        msg["Subject"] = f"message {n}"
        msg["Message-ID"] = f"<bench-{n}@council.example>"
        msg["Date"] = format_datetime(when + dt.timedelta(minutes=n))
        msg.set_content("Some words. " * 40)
        if n < LEADS + LEADS // 4:
            data = (folder / "copies" / f"{leads[i].name}.xlsx").read_bytes()
            if n >= LEADS:
                data = data[:-22] + data[-22:].replace(b"\0\0", b"\0\1", 1)  # a second, different copy
            msg.add_attachment(data, maintype="application", subtype="octet-stream", filename="Action plan.xlsx")
        elif n % 7 == 0:
            msg.add_attachment(b"PK\x03\x04 notes", maintype="application", subtype="octet-stream", filename="notes.docx")
        messages.append(msg.as_bytes())
    return plan, messages


def _time(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="planbook-bench-collect-"))
    try:
        plan, messages = _mail(tmp)
        eml = tmp / "eml"
        eml.mkdir()
        for n, raw in enumerate(messages):
            (eml / f"{n:04d}.eml").write_bytes(raw)
        size = sum(len(m) for m in messages) >> 20
        print(f"{len(messages)} messages ({size} MB), {LEADS} leads, {LEADS + LEADS // 4} workbooks attached")
        cases = [("saved .eml files", {"messages": eml})]
        server = None
        if shutil.which("dovecot") or os.path.exists("/usr/sbin/dovecot"):
            sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
            from tests.imap_server import Dovecot

            server = Dovecot()
            server.add_user("plans", "secret")
            box = server.connect("plans", "secret")
            for raw in messages:
                box.append("INBOX", None, imaplib.Time2Internaldate(time.time()), raw)
            box.logout()
            cases.append(("IMAP (dovecot, TLS)", {"imap": ImapSettings(
                host="127.0.0.1", port=server.imaps_port, user="plans", password="secret", cafile=str(server.cafile))}))
        try:
            for label, where in cases:
                first, second = [], []
                for r in range(args.repeat):
                    returns = tmp / f"returns-{label[:4]}-{r}"
                    first.append(_time(lambda: collect_returns(plan, returns, **where)))
                    second.append(_time(lambda: collect_returns(plan, returns, **where)))
                saved = len([p for p in returns.iterdir() if p.suffix == ".xlsx"])
                print(f"{label:<22} first collect {statistics.median(first):6.2f} s ({saved} saved); "
                      f"again, nothing new {statistics.median(second):6.2f} s")
        finally:
            if server is not None:
                server.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
