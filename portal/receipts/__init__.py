"""Receipts (寄附金受領証明書), their print batches, returned mail and one-stop forms back."""
