"""The service directory: what each organization offers, where, in which languages, with how much room."""
