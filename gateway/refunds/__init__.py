"""Refunds: giving a shopper's money back, exactly once, on the chain it came from (issue 12).

    states.py    the statuses and the only legal moves (the database guards them too)
    models.py    the Refund record and its API object
    service.py   the rules: what may be refunded, approval, claim, the sender's hand-offs
    queries.py   SQL
    routes.py    the merchant API (/v1/invoices/{id}/refunds, /v1/refunds)
    sending/     signers (hot wallet, offline), the sender (exactly-once broadcast, finality)
                 and outcomes.py: what each report about a transaction does to the refund
"""
