"""The public service (`uvicorn api.app:app`): the booking widget now, the partner API later.

One router per area under `api/routers/`, all versioned under /v1; the same `data/` functions
as the app, with a viewer derived from the request (api/deps.py).
"""
