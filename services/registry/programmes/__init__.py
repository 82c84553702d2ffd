"""Funded programmes: who pays (funder countries, instrument), who implements, what and for whom."""
