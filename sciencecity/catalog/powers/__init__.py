"""The devolved municipal powers (下放市级行政权力): the power list the municipal government devolved to the
zone, as catalog data beside the versioned catalog.

Each power has its kind, legal basis, the municipal authority that exercised it before and the decision that
devolved it, the zone department exercising it now, its status, and the service items that implement it —
named by item code, so that the links survive every new catalog version. `models` holds the rows,
`services` every write (one power, a withdrawal or restoration, a whole spreadsheet), `sheets` the
spreadsheet the zone receives the list as (read with per-row checks, written streamed), `admin` the
administrators' pages. How much each power is used comes from the approvals (`sciencecity.approvals.power_usage`):
the catalog knows nothing of applications.
"""
