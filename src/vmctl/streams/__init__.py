"""Streams into guests that every backend shares: console escape keys, TCP proxying, VNC viewers."""
