"""Conduct Desk: a GitHub-native desk for community conduct."""
