"""The invoice payment lifecycle: chain facts -> invoice states, events and the booking.

`service.apply_invoices(conn, ids)` is the one entry point the watchers and the
scheduler call, inside the transaction that stored the chain facts. See docs/watchers.md.
"""
