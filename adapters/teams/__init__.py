"""Microsoft Teams through the Bot Framework (`mount.py` attaches it to the server)."""
