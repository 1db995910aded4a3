"""Local devnets (anvil for BNB Chain, the Solana RPC) and shopper wallet simulators."""
