"""Reports for zone administrators: merchant statements, the zone summary, batch lists."""
