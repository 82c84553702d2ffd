"""Locations: where an organization receives people (or a virtual place, such as a hotline)."""
