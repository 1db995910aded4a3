"""The operator's exceptions queue: every amount that reached us and is not part of a sale.

    queries.py   the SQL (views exception_payments, unmatched_payments)
    service.py   paging, filters, dust aggregation, decisions (audited)
    routes.py    GET /admin/api/exceptions, POST /admin/api/exceptions/{key}/decision
"""
