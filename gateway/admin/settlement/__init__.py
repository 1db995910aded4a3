"""Settlement administration: batches, payout files, reports, reconciliation against chain
balances, unmatched payments and treasury conversions, served as the JSON API under
/admin/api and as CLI commands."""
