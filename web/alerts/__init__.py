"""Alerts on anomalies (docs/anomalies.md, "Alerts"): the webhook (webhook.py) and email (mail.py)
deliveries, what a round sends for a site and how it keeps each message to once (notify.py), and the
scheduler of the server process that runs the rounds (scheduler.py)."""
