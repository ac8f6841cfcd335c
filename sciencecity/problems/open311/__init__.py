"""Open311 GeoReport v2 at /open311/v2/ (https://wiki.open311.org/GeoReport_v2): the zone's problem
categories as services, and the problems the public reported as service requests.

- `views.py`: the endpoints; reads through `selectors.public_problems()`, the one write through
  `services.lifecycle.report_problem` with the source OPEN311.
- `renderers.py`: JSON and XML (ElementTree), and the spec's error document.
- `urls.py`: every endpoint in both formats (`.json`, `.xml`), included by the project at "open311/v2/".
"""
