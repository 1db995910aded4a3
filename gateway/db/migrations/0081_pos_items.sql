-- Point of sale item list (gateway/portal): what a shop sells at its tills, with a KZT price.
-- A charge's items become its invoice's description ("2 × Latte"); prices are read here on
-- the server, never taken from the page.
CREATE TABLE pos_items (
    id          text PRIMARY KEY CHECK (id ~ '^itm_[A-Za-z0-9]{8,64}$'),
    merchant_id text NOT NULL REFERENCES merchants (id),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    price       bigint NOT NULL CHECK (price > 0),                 -- tiyn
    created_at  timestamptz NOT NULL DEFAULT now(),
    archived_at timestamptz
);
CREATE UNIQUE INDEX pos_items_name ON pos_items (merchant_id, name) WHERE archived_at IS NULL;
