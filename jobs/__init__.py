"""The cron sidecar, `python -m jobs …` (outbox sending, series generation, reminders, payouts).

Arrives with the Messaging and jobs issue; it will call the same `data/` functions as the app.
"""
