"""Bewertungen: the shop's reviews of a partner's courses, the partner's answers, requests.

dashboard.py   the review list (filters, paged in SQL) and the figures: averages per course
               and overall over approved reviews, distribution, trend, marketplace average,
               share answered and median time to answer; `answered_share` for marketing
responses.py   one answer per review with its history: draft → pending → approved |
               rejected, staff moderation, the partner's mail, the shop's approved answers
requests.py    review requests after the course (settings, the job's queue, the customer's
               form and objection through the public service), verified reviews, response rate
flags.py       pure: an answer's text → hints on links, emails, phone numbers, names
"""
