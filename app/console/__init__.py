"""The operator console: `GET /console`, a static page over the admin API."""
