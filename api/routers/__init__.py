"""One router per area of the public service, each mounted under /v1 by api/app.py."""
