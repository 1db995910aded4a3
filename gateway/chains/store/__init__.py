"""The shared transfer store of the chain watchers (see service.py)."""
