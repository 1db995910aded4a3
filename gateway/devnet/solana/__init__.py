"""The local Solana devnet: JSON-RPC over LiteSVM (`server`), and the Solana Pay wallet
simulator (`wallet`). Run it with `python -m gateway.devnet.solana`; see docs/devnets.md."""
