"""Periodic submissions (情况报送, DESIGN §8): protect, render, package, consolidate.

* :mod:`.content` — the shape of the content (codes, series, tables, the period); the
  content itself is compiled from the vault by
  :mod:`counselor_tui.services.submission_compile` (``services → reports``, never back);
* :mod:`.spec` — the sections, figures and tables every format shows;
* :mod:`.protect` — disclosure control (threshold ``<k`` and complementary suppression);
* :mod:`.view` — the printable tables; :mod:`.docx_out`, :mod:`.xlsx_out`, :mod:`.csv_out`,
  :mod:`.document` (the JSON), :mod:`.render` (all four files);
* :mod:`.package` — the signed, encrypted 7z package and its verification;
* :mod:`.consolidate` — one submission from several verified packages.

The JSON schema is documented in ``docs/submission-json.md``. Never imports textual.
"""
