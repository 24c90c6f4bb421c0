"""Wiring: settings from the environment, the policy files, and the service built from them."""
