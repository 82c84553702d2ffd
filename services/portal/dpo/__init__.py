"""Data protection officer pages: subject access reports, erasure with confirmation, audit chain."""
