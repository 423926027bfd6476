"""Shipping: shipments and delivery problems for orders, carriers' formats (labels, history)."""
