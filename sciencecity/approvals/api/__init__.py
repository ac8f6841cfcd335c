"""The REST API of bundled approval (/api/v1/): one module per audience, each with its `routes`.

- `applications`: the applicant's applications (start, answers, form, materials, submit, withdraw,
  correction and supplement answers, tolerated gaps supplied, rating) and the window's intake, gap
  follow-up and delivery actions on them.
- `review`: department review tasks (claim, opinion, inspection, decisions, supplement, reassign, extend).
- `certificates`: certificates, their PDFs and public verification; rating follow-ups;
  reform metrics and the leaders' overview.
- `powers`: the devolved municipal powers (下放权力清单) with their usage figures.
"""

from . import applications, certificates, powers, review

routes = [*applications.routes, *review.routes, *certificates.routes, *powers.routes]
