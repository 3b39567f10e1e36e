"""Bewertungen: the shop's reviews of a partner's courses and the partner's answers to them.

dashboard.py   the review list (filters, paged in SQL) and the figures: averages per course
               and overall over approved reviews, distribution, trend, marketplace average,
               share answered and median time to answer; `answered_share` for marketing
responses.py   one answer per review with its history: draft → pending → approved |
               rejected, staff moderation, the partner's mail, the shop's approved answers
flags.py       pure: an answer's text → hints on links, emails, phone numbers, names
"""
