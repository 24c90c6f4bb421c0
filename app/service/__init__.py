"""The service layer: turns deliveries into core events, and the core's effects into GitHub calls."""
