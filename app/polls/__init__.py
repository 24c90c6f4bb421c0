"""Anonymous polls of core developers: open, issue blind-signed ballots, cast, close and verify."""
