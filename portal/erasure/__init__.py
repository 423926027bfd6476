"""Erasure of personal data [個人情報取扱特記事項 第12]: `flask erase-personal-data`.

- `registry.py` says, per table, which columns hold personal data and what each becomes
  (blank, the placeholder 「消去済み」, NULL, the prefecture of an address, an empty JSON
  list, a file that is deleted), how a row's age is decided and which open case protects it.
- `policy.py` turns the retention settings (RETENTION_DONOR_YEARS, RETENTION_ATTACHMENT_DAYS,
  RETENTION_IMPORT_FILE_DAYS) or a `--before` date into the cut-off dates.
- `run.py` erases (or, for a dry run, counts) in batches of ids with set-based UPDATEs, in
  one transaction, records the run in the audit log, and deletes the files after the commit.
- `cli.py` is the command.

Rows are never deleted (except chat attachments, whose row is the file): amounts, dates,
portal, gift, state and the prefecture stay, so every figure and report adds up as before.
"""
