"""CryptoCity Pay gateway: HTTP API, checkout pages, chain watchers, devnets, CLI."""
