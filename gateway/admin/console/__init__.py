"""The zone administrator console: server-rendered pages over the merchants, invoices,
settlement and reconciliation services, with CSRF protection on every form."""
