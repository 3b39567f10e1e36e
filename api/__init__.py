"""The public FastAPI service, `uvicorn api.app:app` (booking widget, partner REST API).

Arrives with its own issue; it will call the same `data/` functions as the app, with a viewer
derived from the widget or API key.
"""
