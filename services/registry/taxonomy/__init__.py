"""The reintegration taxonomy: what a service offers, each term tied to a reintegration dimension."""
