"""Demand for more course dates: the Warteliste (waitlist.py) and Terminanfragen
(date_requests.py)."""
