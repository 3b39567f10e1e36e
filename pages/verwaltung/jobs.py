"""Jobs (staff): the sidecar's tasks, their schedules and recent runs; run one now.

"Run now" starts `python -m jobs run TASK` as its own process, exactly as cron would, so the
task takes its lock and writes its job_runs row the same way.
"""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import streamlit as st

from components.confirm import done
from components.i18n import locale, moment, number, t
from components.session import page_context
from core.settings import PROJECT_ROOT
from data.ops.job_runs import last_runs, list_runs
from jobs.registry import TASKS

RUN_TIMEOUT_SECONDS = 300

ctx = page_context()
viewer, db = ctx.viewer, ctx.db
st.caption(t("jobs.crontab_hint"))
st.code("*/5 * * * *  cd /srv/portal && .venv/bin/python -m jobs run-due", language="bash")


def _status(value: object) -> str:
    return t(f"jobs.status_{value}") if value in ("running", "ok", "failed") else "–"


latest = last_runs(viewer, db).set_index("task")
for name, task in TASKS.items():
    with st.container(border=True):
        st.markdown(f"**{name}** · {task.schedule.describe(locale())}")
        st.caption(task.summary(locale()))
        if name in latest.index:
            run = latest.loc[name]
            st.markdown(
                t(
                    "jobs.last_run",
                    status=_status(run["status"]),
                    when=moment(run["started_at"]),
                    processed=number(run["processed"]),
                    failed=number(run["failed"]),
                )
            )
        else:
            st.markdown(t("jobs.never"))
        if st.button(t("jobs.run_now"), key=f"run_{name}", icon=":material/play_arrow:"):
            with st.spinner(t("jobs.running", task=name)):
                finished = subprocess.run(  # fixed argv; the task name comes from our registry
                    [sys.executable, "-m", "jobs", "run", name],
                    cwd=PROJECT_ROOT,
                    capture_output=True,
                    text=True,
                    timeout=RUN_TIMEOUT_SECONDS,
                    check=False,
                )
            # Done or busy: run the page again, so "last run" and the table show this run.
            if finished.returncode == 0:
                done(("success", t("jobs.run_ok", task=name)))
            elif finished.returncode == 3:
                done(("info", t("jobs.run_busy", task=name)))
            else:
                st.error(t("jobs.run_failed", task=name, code=finished.returncode))
                st.code((finished.stderr or finished.stdout)[-2000:], language="text")

st.subheader(t("jobs.recent"))
runs = list_runs(viewer, db, limit=100)
if runs.empty:
    st.info(t("jobs.no_runs"), icon=":material/schedule:")
else:
    st.dataframe(
        pd.DataFrame(
            {
                t("jobs.col_task"): runs["task"],
                t("jobs.col_started"): [moment(v) for v in runs["started_at"]],
                t("jobs.col_duration"): [
                    "–" if pd.isna(v) else number(v, digits=1) for v in runs["duration_seconds"]
                ],
                t("jobs.col_status"): [_status(s) for s in runs["status"]],
                t("jobs.col_processed"): runs["processed"],
                t("jobs.col_failed"): runs["failed"],
                t("jobs.col_error"): runs["error"].fillna(""),
            }
        ),
        hide_index=True,
        width="stretch",
    )
