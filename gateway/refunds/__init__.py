"""Refunds: giving a shopper's money back, exactly once, on the chain it came from (issue 12).

    states.py    the statuses and the only legal moves (the database guards them too)
    models.py    the Refund record and its API object
    service.py   the rules: what may be refunded, approval, claim, the sender's hand-offs
    amounts.py   the arithmetic (pure): stranded money per asset, net of live refunds; units
    addresses.py refund address checks (EIP-55 for BNB Chain, on-curve keys for Solana)
    queries.py   SQL
    routes.py    the merchant API (/v1/invoices/{id}/refunds, /v1/refunds); openapi.py
    sending/     signers (hot wallet, offline), the sender (exactly-once broadcast, finality)
                 and outcomes.py: what each report about a transaction does to the refund
"""
