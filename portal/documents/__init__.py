"""WeasyPrint rendering of every PDF the portal prints, from plain values (never ORM objects)."""
