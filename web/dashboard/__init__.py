"""The dashboard: server-rendered pages behind a login, and the guards every non-ingestion request passes."""
