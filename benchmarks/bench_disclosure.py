"""The disclosure audit of a month next to its compile (issue 13; target: ≤ 2 s added).

History: the 12 months before last month, every scope (bureau + each unit), compiled from the
demo vault and "finalized" with their per-document protection (the fixed documents a reader
holds). Measured in the same run:

* compile of last month, bureau scope (the baseline);
* the quick audit a compile or preview runs (the month's own finalized documents: none yet);
* the audit and linked suppression finalize runs for that bureau document against the
  history (:func:`counselor_tui.reports.linking.secure_document`; it links the previous
  month, see ``docs/disclosure.md``);
* the same for the last unit's document once the bureau and the other units of the month are
  finalized too (the largest linked problem a finalize meets).
"""

from __future__ import annotations

import time
from typing import Any

from benchmarks.common import PASSPHRASE, Result, clock, ensure_vault
from counselor_tui.domain.periods import period_of, previous
from counselor_tui.reports.linking import Doc, secure_document
from counselor_tui.reports.protect import protect, record
from counselor_tui.services import lifecycle
from counselor_tui.services.submission_compile import compile_content

K = 3


def _fixed(content: dict[str, Any]) -> Doc:
    content["disclosure"] = record(protect(content, K))
    return Doc(content, True, "v1")


def run(preset: str = "county") -> list[Result]:
    path = ensure_vault(preset)
    vs = lifecycle.unlock(path, "demo", PASSPHRASE, clock=clock(), state_dir=path.parent / "st")
    try:
        month = previous(period_of("month", vs.today()))
        with vs.reading():
            units = [str(c) for (c,) in vs.execute("SELECT code FROM unit ORDER BY code")]
        scopes = ["bureau", *units]
        history: list[Doc] = []
        period = month
        for _i in range(12):
            period = previous(period)
            history += [_fixed(compile_content(vs, period, s)) for s in scopes]
        history.sort(key=lambda d: d.period)
        began = time.perf_counter()
        bureau = compile_content(vs, month, "bureau")
        compile_s = time.perf_counter() - began
        began = time.perf_counter()
        quick = secure_document(Doc(dict(bureau), False, "now"), history, K, linked=False)
        quick_s = time.perf_counter() - began
        began = time.perf_counter()
        rec = secure_document(Doc(bureau, False, "now"), history, K)
        bureau_s = time.perf_counter() - began
        bureau["disclosure"] = rec
        month_docs = [Doc(bureau, True, "v1"),
                      *(_fixed(compile_content(vs, month, s)) for s in units[:-1])]
        last = compile_content(vs, month, units[-1])
        began = time.perf_counter()
        unit_rec = secure_document(Doc(last, False, "now"), [*history, *month_docs], K)
        unit_s = time.perf_counter() - began
    finally:
        vs.close()
    return [
        Result(f"compile's quick audit, bureau month ({preset}, "
               f"{quick['audit']['documents']} documents, passed={quick['audit']['passed']})",
               quick_s * 1000, "ms", "compile of that month", compile_s * 1000,
               "≤ 2 s added"),
        Result(f"finalize's audit, bureau month ({preset}, {rec['audit']['documents']} of "
               f"{len(history) + 1} documents linked, "
               f"{rec['audit']['hidden_cells']} hidden cells, passed={rec['audit']['passed']})",
               bureau_s * 1000, "ms", "compile of that month", compile_s * 1000,
               "≤ 2 s added"),
        Result(f"finalize's audit, last unit of the month ({preset}, "
               f"{unit_rec['audit']['documents']} of {len(history) + len(month_docs) + 1} "
               f"documents linked, passed={unit_rec['audit']['passed']})",
               unit_s * 1000, "ms", "compile of the bureau month", compile_s * 1000,
               "≤ 2 s added"),
    ]
