"""Demo mode end to end: the outbox the demo ships is sent by the real jobs command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.db import Databases
from core.settings import load_settings
from data.demo import ensure_demo
from data.portal_schema import OUTBOX_FAILED, OUTBOX_PENDING, OUTBOX_SENT, outbox

ROOT = Path(__file__).resolve().parents[2]


def _counts(db: Databases) -> dict[str, int]:
    with db.portal.connect() as conn:
        rows = conn.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status))
        return {status: count for status, count in rows}


def test_demo_outbox_is_sent_by_python_m_jobs(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MIOMENTE_", "SENDGRID_", "TWILIO_"))
    }
    env["MIOMENTE_DEMO_DIR"] = str(tmp_path / "demo")
    settings = load_settings(secrets_path=tmp_path / "none.toml", env=env)
    db = ensure_demo(settings)
    try:
        before = _counts(db)
        assert before[OUTBOX_PENDING] >= 1 and before[OUTBOX_SENT] >= 1
        done = subprocess.run(
            [sys.executable, "-m", "jobs", "run", "send-outbox"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        after = _counts(db)
        assert after.get(OUTBOX_PENDING, 0) == 0
        assert after[OUTBOX_SENT] == before[OUTBOX_SENT] + before[OUTBOX_PENDING]
        assert after[OUTBOX_FAILED] == before[OUTBOX_FAILED]  # bounced ones wait for staff
        mails = sorted((tmp_path / "demo" / "outbox").glob("*.eml"))
        assert len(mails) == before[OUTBOX_PENDING]
        assert "Buchung" in mails[0].read_text(encoding="utf-8")
    finally:
        db.dispose()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--orders", "-5"], "„-5“ ist keine Anzahl"),  # was: a traceback from the generator
        (["--seed", "1e3"], "„1e3“ ist keine Anzahl"),
        (["--today", "2026-02-30"], "„2026-02-30“ ist kein Datum"),
        (["--magento-url", "sqlite://"], "--magento-url und --portal-url"),
        (["--frobnicate"], "Ungültiger Aufruf"),
    ],
)
def test_bad_arguments_are_explained_in_german_with_exit_code_2(
    args: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from data.demo.__main__ import main

    with pytest.raises(SystemExit) as stopped:
        main(args)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err
