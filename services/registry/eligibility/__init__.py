"""Eligibility rules, benefits, cost-of-living factors, exchange rates, and the entitlements answer."""
