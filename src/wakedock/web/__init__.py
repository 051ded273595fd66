"""The web UI: serve the built single-page app, or explain how to build it."""
