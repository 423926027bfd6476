"""The handover export [12(4)]: every table a city needs to carry on, as CSV, one xlsx, a
README of every column and a manifest of row counts and checksums (`flask export-all DIR`,
or the operator administrator's button on the staff page 引継ぎデータ)."""
