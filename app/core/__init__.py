"""The app's small core: the socket session, the wire format, errors, caps, and what a feature is."""
