"""Settlement settings only (settings.py); the settlement administration code lives in
gateway.admin.settlement."""
