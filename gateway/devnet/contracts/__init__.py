"""The BEP-20 test token of the BNB Chain devnet: Solidity source and its built artifact."""
