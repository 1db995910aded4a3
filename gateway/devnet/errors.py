"""Errors of the local devnets and the shopper wallet simulators.

    GatewayError (gateway.errors)
    └── DevnetError                a devnet could not be started, stopped, reached or used
        ├── InvalidPaymentUri      a payment URI (EIP-681 / Solana Pay) the simulator refuses
        ├── DevnetToolMissing      a pinned tool (anvil, solc) is not installed
        ├── DevnetStartError       a devnet process died or did not answer in time
        └── PaymentFailed          the simulator could not build, sign or send a transfer
"""

from __future__ import annotations

from gateway.errors import GatewayError


class DevnetError(GatewayError):
    """A local devnet or a wallet simulator failed."""


class InvalidPaymentUri(DevnetError):
    """A payment request URI is malformed or not payable here; the message says why."""


class DevnetToolMissing(DevnetError):
    """A pinned devnet tool is not installed (run deploy/devnet/install.sh)."""


class DevnetStartError(DevnetError):
    """A devnet process exited early or did not become ready in time."""


class PaymentFailed(DevnetError):
    """The simulator could not build, sign or send a transfer."""
