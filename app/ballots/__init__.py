"""Anonymous ballots: blind-signed voter tokens."""
