"""Merchant fee schedules (effective-dated) and treasury FX conversions with realised FX result."""
