"""Anomalies on the journey's KPIs: the series (kpis.py), the statistics that flag buckets (detect.py),
what an anomaly is made of (explain.py), and the list the API and the dashboard show (found.py)."""
