"""Financial statements for any period, computed from the books and tying to the journal.

- ``dates``: the period a statement covers, and how it splits into whole and partial months;
- ``sums``: what the postings of a period add up to, per account, from the monthly totals
  for whole months and from the postings themselves for partial ones (one function
  decides);
- ``statements``: the trial balance, the statement of financial position, the statement of
  activities and the bail roll-forward, each with the identities it must satisfy;
- ``activity``: bail paid, returned and forfeited by county and by court (staff only);
- ``tables``, ``files``: one table model for every statement, written as CSV, HTML or PDF;
- ``views``, ``urls``: the staff pages under ``/staff/reports/``.

``manage.py financial_statements`` writes one file per statement. docs/reports.md says what
each statement shows and the format of the files.
"""
