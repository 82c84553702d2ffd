"""The registry: a living directory of reintegration providers, programmes and entitlements.

It owns organizations, locations, services (with capacity and verification), the reintegration
taxonomy, funded programmes, eligibility rules and benefits, cost-of-living factors, and publishes
the directory as an HSDS 3.0 feed. It never holds personal data of returnees.
"""
