"""Slack through slack-bolt: events, commands and interactivity (`mount.py` attaches them)."""
