"""Four-eyes for money leaving: pending requests a second administrator approves (service),
their SQL (queries). Pages in gateway.admin.console.routes_approvals, JSON API in
gateway.admin.settlement.routes_approvals, CLI in gateway.admin.cli."""
