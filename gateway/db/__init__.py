"""Database plumbing: the embedded cluster, the migration runner and the connection pool."""
