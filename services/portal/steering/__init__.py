"""Steering group and funder pages: coverage, overlap, gaps, funnel, outcomes, timeline, downloads.

Everything comes from the coordination service with the user's own token, so what a funder sees
(and which programmes are marked as their own) is what the service decides for that user.
"""
