-- Sign-in attempts per client address, counted in a fixed window (gateway/admin/auth.py):
-- a reservation is taken before the slow password check and given back on success, so only
-- failures (and attempts still in flight) count against the address.
CREATE TABLE admin_login_addresses (
    client_ip         text PRIMARY KEY CHECK (length(client_ip) BETWEEN 1 AND 100),
    window_started_at timestamptz NOT NULL,
    attempts          integer NOT NULL CHECK (attempts >= 0)
);
