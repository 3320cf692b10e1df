"""The demo: demo subscribers and usage, and the simulator the demo binds to."""
