"""Entry points: the `conduct` command line and what it starts (the service, the demo, the stand-in)."""
