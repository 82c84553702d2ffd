"""Change history: who changed which field of which entry, when, from what to what."""
