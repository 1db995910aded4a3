"""Payout files: ISO 20022 pain.001.001.09 for KZT bank transfers, KZ IBAN and IIN/BIN checks."""
