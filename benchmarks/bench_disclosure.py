"""The disclosure audit of a month next to its compile (issue 13; target: the audit adds
≤ 2 s to finalizing a county month).

``python -m benchmarks --only disclosure --size county`` (and ``--size province``: the
same for a province month; its demo vault takes long to build the first time).

History: the 12 months before last month, every scope (bureau + each unit), compiled from the
demo vault and "finalized" with their per-document protection (the fixed documents a reader
holds). Then last month is finalized scope after scope — the bureau first, then each unit —
each document protected and audited (:func:`counselor_tui.reports.linking.secure_document`)
against the history and the month's documents finalized before it, as ``finalize`` does.
Measured in the same run:

* compile of last month, bureau scope, and of all its scopes (the baselines);
* the quick audit a compile or preview runs (the month's own finalized documents: none yet);
* the audit and linked suppression of the bureau document's finalize;
* the slowest unit document's finalize audit (the largest linked problem a finalize meets);
* the audits of the whole month (bureau + every unit), next to compiling all its scopes;
* wall time and the CPU time of this process (a shared machine inflates the first only);
* the bureau's and the slowest unit's finalize audits again through
  :func:`scipy.optimize.milp` (one HiGHS model per solve: the audit's solver before it kept
  one ``highspy`` model per component): the speed-up measured on the same documents.
"""

from __future__ import annotations

import time
from typing import Any

from benchmarks.common import PASSPHRASE, Result, clock, ensure_vault
from counselor_tui.domain.disclosure import attack
from counselor_tui.domain.periods import period_of, previous
from counselor_tui.reports.linking import Doc, secure_document
from counselor_tui.reports.protect import protect, record
from counselor_tui.services import lifecycle
from counselor_tui.services.submission_compile import compile_content

K = 3
TARGET = "≤ 2 s added per finalize"


def _fixed(content: dict[str, Any]) -> Doc:
    content["disclosure"] = record(protect(content, K))
    return Doc(content, True, "v1")


def _month(contents: dict[str, dict[str, Any]], history: list[Doc],
           ) -> tuple[dict[str, float], dict[str, float], dict[str, dict[str, Any]],
                      dict[str, list[Doc]]]:
    """Finalize-audit every scope of the month in order; wall seconds, CPU seconds of this
    process, record and the documents it was linked against (history and the month's
    earlier finalizes) per scope."""
    month_docs: list[Doc] = []
    seconds: dict[str, float] = {}
    cpu: dict[str, float] = {}
    records: dict[str, dict[str, Any]] = {}
    against: dict[str, list[Doc]] = {}
    for scope, content in contents.items():
        doc = dict(content)
        against[scope] = [*history, *month_docs]
        began, used = time.perf_counter(), time.process_time()
        rec = secure_document(Doc(doc, False, "now"), against[scope], K)
        seconds[scope] = time.perf_counter() - began
        cpu[scope] = time.process_time() - used
        records[scope] = rec
        doc["disclosure"] = rec
        month_docs.append(Doc(doc, True, "v1"))
    return seconds, cpu, records, against


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
        contents: dict[str, dict[str, Any]] = {}
        compile_s: dict[str, float] = {}
        for scope in scopes:
            began = time.perf_counter()
            contents[scope] = compile_content(vs, month, scope)
            compile_s[scope] = time.perf_counter() - began
    finally:
        vs.close()
    began = time.perf_counter()
    quick = secure_document(Doc(dict(contents["bureau"]), False, "now"), history, K,
                            linked=False)
    quick_s = time.perf_counter() - began
    seconds, cpu, records, against = _month(contents, history)
    slowest = max(units, key=lambda s: seconds[s])
    before: dict[str, float] = {}
    before_cpu: dict[str, float] = {}
    same: dict[str, bool] = {}
    for scope in ("bureau", slowest):
        attack.use_solver(attack.SCIPY)
        try:
            began, used = time.perf_counter(), time.process_time()
            old = secure_document(Doc(dict(contents[scope]), False, "now"), against[scope], K)
            before[scope] = time.perf_counter() - began
            before_cpu[scope] = time.process_time() - used
        finally:
            attack.use_solver(attack.HIGHSPY)
        same[scope] = all(old[k] == records[scope][k]
                          for k in ("suppressed", "withheld", "demoted"))
    failing = sum(int(r["audit"]["failing"]) for r in records.values())
    bureau, unit = records["bureau"]["audit"], records[slowest]["audit"]
    all_compile = sum(compile_s.values())
    return [
        Result(f"compile's quick audit, bureau month ({preset}, "
               f"{quick['audit']['documents']} documents, passed={quick['audit']['passed']})",
               quick_s * 1000, "ms", "compile of that month", compile_s["bureau"] * 1000,
               TARGET),
        Result(f"finalize's audit, bureau month ({preset}, {bureau['documents']} of "
               f"{len(history) + 1} documents linked, {bureau['hidden_cells']} hidden cells, "
               f"passed={bureau['passed']})",
               seconds["bureau"] * 1000, "ms", "compile of that month",
               compile_s["bureau"] * 1000, TARGET),
        Result(f"finalize's audit, slowest unit {slowest} ({preset}, {unit['documents']} "
               f"documents linked, {unit['hidden_cells']} hidden cells, "
               f"passed={unit['passed']})",
               seconds[slowest] * 1000, "ms", "compile of the bureau month",
               compile_s["bureau"] * 1000, TARGET),
        Result(f"finalize's audits, whole month ({preset}: bureau + {len(units)} units, "
               f"12 earlier months finalized, {failing} failing cells)",
               sum(seconds.values()) * 1000, "ms", "compile of all its scopes",
               all_compile * 1000, f"≤ {2 * len(scopes)} s ({len(scopes)} finalizes)"),
        *(Result(f"same finalize audit ({scope}), highspy vs scipy.optimize.milp "
                 f"(same suppression: {same[scope]})",
                 seconds[scope] * 1000, "ms", "through scipy.optimize.milp",
                 before[scope] * 1000, "faster")
          for scope in ("bureau", slowest)),
        *(Result(f"the same, CPU time of this process ({scope}; a shared machine inflates "
                 f"wall time, not this)",
                 cpu[scope] * 1000, "ms", "through scipy.optimize.milp",
                 before_cpu[scope] * 1000, TARGET)
          for scope in ("bureau", slowest)),
    ]
