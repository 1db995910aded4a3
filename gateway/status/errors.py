"""Chain status errors (see gateway.errors for the whole tree).

    ApiError
    └── ServiceUnavailable
        └── ChainUnavailable    503 chain_unavailable: every asset asked for is on a chain
                                that is not live (halted or lagging)
"""

from __future__ import annotations

from gateway.errors import ServiceUnavailable


class ChainUnavailable(ServiceUnavailable):
    default_code = "chain_unavailable"
