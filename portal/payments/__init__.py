"""Supplier and carrier payments from confirmed statements [6(3)カ, 6(8)ウ(イ)]."""
