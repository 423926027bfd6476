"""Donations: intake from the portals and the city's own channels, payment, cancellation; a
paid line becomes an order (portal.shipping)."""
