"""Shipping: orders to suppliers and their state machine, shipments, delivery problems,
carriers' formats (labels, history)."""
