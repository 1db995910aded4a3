"""HTTP plumbing shared by every domain: the error middleware, request ids, JSON helpers."""
