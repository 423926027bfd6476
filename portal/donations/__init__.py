"""Donations: intake from the portals and the city's own channels, payment, cancellation, orders."""
