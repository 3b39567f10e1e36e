"""Messaging: the emails and SMS the portal sends, rendered locally from the repo's templates.

`messaging.render` turns a template name, a locale and a payload into subject, HTML and plain
text (or an SMS text); SendGrid and Twilio only transport the result.
"""
