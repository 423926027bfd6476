"""The monthly cycle the city pays against: the city invoice and the monthly business report."""
