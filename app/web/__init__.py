"""The ASGI service: webhook receiver, intake pages and the ballot form."""
