"""The cron sidecar, `python -m jobs …` (outbox sending, series generation, reminders, payouts).

- `registry`: the tasks and their schedules (in code; `run-due` judges from the job log).
- `runner`: runs a task under its lock, logs it in `miomente_job_runs`, maps to exit codes.
- `locks`: one run per task at a time (PostgreSQL advisory lock, SQLite file lock).
- `send_outbox`: the `send-outbox` task.
- `__main__`: the command line (`list`, `run TASK [--dry-run]`, `run-due`).

Tasks call the same `data/` functions as the app, with the `SYSTEM` viewer.
"""
