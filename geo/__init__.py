"""Polling Security Planner: pure-Python core (no Streamlit) used by the pages and CLI."""
