"""Evaluation domain: pure financial and socio-economic models (stdlib, numpy, numpy-financial).

The service layer calls:

- :data:`calculators.CALCULATORS` / :func:`calculators.calculate` for ``POST
  /v1/calculations/{metric}``;
- :data:`templates.TEMPLATES` (``Template.describe()``) for ``GET /v1/templates``;
- :func:`appraisal.parse_request` and :func:`appraisal.appraise` for ``POST /v1/appraisals``
  (``Appraisal.to_dict()`` is the results dict, ``Appraisal.bankability`` the summary);
- :func:`risk.sensitivity` and :func:`risk.monte_carlo` for the risk endpoints.

Every model raises :class:`errors.InvalidInput` (a ``ValueError`` with ``field`` and
``reason``) for inputs it cannot use.
"""
