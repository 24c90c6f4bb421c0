"""The one GitHub adapter: auth, REST and GraphQL, retries; carries out the core's actions."""
