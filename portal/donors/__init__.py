"""Donor self-service: access without an account, the status page, requests (issue 6)."""
