"""Demand for courses: who waits for a seat (Warteliste), who asks for a date (Terminanfragen)."""
