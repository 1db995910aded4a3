"""Sending refunds exactly once: signers (hot wallet, offline), the sender, its reports."""
