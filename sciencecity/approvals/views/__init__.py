"""Pages of bundled approval, one module per audience:

- `certificates`: public verification and scoped PDF download;
- `public`: home and the bundle guide (no login);
- `portal`: the enterprise portal (applicants);
- `window`: intake, tolerated gaps, delivery (window clerks);
- `department`: worklist and task pages (reviewers and heads);
- `leaders`: overview, charts, drill-down and audit trail (leaders, supervisors);
- `projects`: a project's page for civil servants, as far as each one's scope reaches.

Views are thin: they read through `selectors` and `Model.objects.for_user()` and write only through
`services`; an object outside the user's scope answers 404.
"""
