"""Reconciliation: ledger custody vs chain balances, trial balance, unmatched payments."""
