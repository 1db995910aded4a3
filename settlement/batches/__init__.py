"""Daily settlement batches: business-day calendar, lifecycle and the ledger moves of payouts."""
