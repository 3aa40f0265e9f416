"""The web front end (FastAPI + Jinja2, server-rendered, nothing loaded from outside)."""
