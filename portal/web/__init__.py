"""The web layer: one blueprint per audience, thin views over domain functions."""
