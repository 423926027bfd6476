"""The 5割 and 3割 watch [6(8)イ(イ)(ウ)]: the costs of raising donations against donation income
for the 年度 to date, its projection to the 年度 end, margins before the limits, and the gifts a
price change pushed towards or over the 3割 rule."""
