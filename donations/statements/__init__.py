"""Donors' year-end statements: one per donor (their email address) per tax year,
listing every card charge and offline gift of the year, netted of refunds, sent by email
with a signed link to a printable page (docs/donations.md, "Year-end statements")."""
