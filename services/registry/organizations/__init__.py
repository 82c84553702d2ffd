"""Organizations: any kind of provider (NRM inclusiveness), funders and coordination bodies."""
