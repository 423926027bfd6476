"""Gifts (返礼品), their amounts and windows; stock and proposals build on them."""
