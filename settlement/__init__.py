"""Money and books of CryptoCity Pay: Money, the double-entry ledger, fees, settlement."""
