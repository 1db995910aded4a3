"""The events outbox: the one place events are written and read.

    outbox.py   event types, `emit` (the event row and the NOTIFY, in the caller's
                transaction), `pending_event` for single-statement writers, and `fan_out`
                (an event's webhook deliveries, written after its commit by the workers)
    queries.py  all SQL of the `events` table
    objects.py  the event's JSON shapes (`/v1/events` object, the signed webhook payload)
    hub.py      the per-process LISTEN/NOTIFY hub that wakes readers when events commit

Invoices and the lifecycle write through `emit`; webhooks and live status only read. This
package imports none of them.
"""
