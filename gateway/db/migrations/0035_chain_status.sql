-- Chain status (gateway/status): what each chain's active watcher last reported, and a halt.
-- One row per chain, written by the active watcher's heartbeat (gateway.status.monitor) and by
-- the operator's `chains resync`; read by GET /v1/status, /metrics and invoice creation.
-- A halt (a broken invariant: a fork below finality or below the kept history) stays here
-- until an operator resyncs the chain, so every process and every restart sees it.
CREATE TABLE chain_status (
    chain         text PRIMARY KEY CHECK (length(chain) BETWEEN 1 AND 40),
    head          bigint,                 -- the node's newest block / slot
    scanned       bigint,                 -- the highest block / slot processed completely
    finalized     bigint,                 -- the highest block / slot treated as final
    caught_up_at  timestamptz,            -- last time scanned reached the node's head
    head_moved_at timestamptz,            -- last time the node's head advanced
    last_error    text,                   -- the newest failed step, cleared by a good one
    transfers     bigint NOT NULL DEFAULT 0 CHECK (transfers >= 0),
    reorgs        bigint NOT NULL DEFAULT 0 CHECK (reorgs >= 0),
    errors        bigint NOT NULL DEFAULT 0 CHECK (errors >= 0),
    heartbeat_at  timestamptz,
    halted_reason text,
    halted_at     timestamptz,
    CHECK ((halted_reason IS NULL) = (halted_at IS NULL))
);

-- Booked transfers a resync found missing from the chain: kept for an operator's decision
-- (nothing booked is undone by the resync itself). `decision` stays NULL until one is taken.
CREATE TABLE chain_vanished_transfers (
    transfer_id bigint PRIMARY KEY REFERENCES chain_transfers (id),
    chain       text NOT NULL,
    fork_block  bigint NOT NULL,
    found_at    timestamptz NOT NULL DEFAULT now(),
    decision    text,
    decided_at  timestamptz
);
