"""What every domain shares: model base, dates, money, roles, audit, mail, numbering."""
