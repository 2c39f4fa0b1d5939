"""The thin command-line layer: one module per command, each with a ``register(app)`` function."""
