"""The chat layer: what Slack and Teams share, written once.

Commands and their handlers, who is an admin, feedback and its metric, de-duplication of
deliveries, reference ids and the answer's view. Each platform module only turns its events
into calls here and renders what comes back; none of them touches the store itself.
"""
