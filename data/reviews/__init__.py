"""Bewertungen: the reviews of the partners' courses, answers and review requests."""
