"""The pure core: cases, commands, policy, polls and tallies; no I/O, no clock, no network."""
