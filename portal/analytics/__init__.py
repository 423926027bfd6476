"""Analytics for the city [6(8)ア]: donation figures of a 年度 against the last, by portal,
month, December day, gift, prefecture and donor, with their charts (SVG) and CSVs."""
