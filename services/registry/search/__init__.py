"""Directory search: a normalised read model of services, filters, trigram text search, paging."""
