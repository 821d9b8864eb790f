"""What each section of a submission shows: figures, tables, labels and protection.

One registry (:data:`SECTIONS`) drives disclosure control (:mod:`.protect`), the preview and
every document format (:mod:`.view`, :mod:`.docx_out`, :mod:`.xlsx_out`, :mod:`.csv_out`), so
all of them show the same tables in the same order (DESIGN §8 items 1–8).

Protection (DESIGN §8 "Disclosure control"): ``protected`` figures and tables count persons,
sessions, incidents or restrictions and go through :mod:`counselor_tui.domain.disclosure`;
unprotected ones (counselors, trainings, activities, census target sizes are not) are
published as they are. Each margin of a protected table is published in that table only; the
only figure shared between tables is a grand total (e.g. the number of sessions), which
:mod:`.protect` keeps hidden exactly when it is 1..k−1 everywhere (see there).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from counselor_tui.domain import vocab
from counselor_tui.domain.incidents import kind_label, step_label
from counselor_tui.domain.instruments import builtin
from counselor_tui.i18n import N_, _, language

Labeler = Callable[[str, Mapping[str, Any]], str]
FigureUnit = Literal["count", "hours_from_minutes", "hours"]

#: Labels of the special codes of :mod:`.content`.
SPECIAL: Mapping[str, str] = {
    "unknown": N_("not recorded"),
    "_unassigned": N_("no unit"),
    "anonymous": N_("anonymous caller"),
    "none": N_("no archive yet"),
}


def _special(code: str) -> str | None:
    msgid = SPECIAL.get(code)
    return _(msgid) if msgid else None


def vocab_labeler(vocabulary: Mapping[str, str]) -> Labeler:
    """Labels from a vocabulary of :mod:`counselor_tui.domain.vocab` (special codes first)."""

    def labeler(code: str, content: Mapping[str, Any]) -> str:
        if code in vocabulary:
            return vocab.label(vocabulary, code)
        return _special(code) or code

    return labeler


def fixed_labeler(labels: Mapping[str, str]) -> Labeler:
    """Labels from a ``{code: msgid}`` mapping (special codes next, else the code)."""

    def labeler(code: str, content: Mapping[str, Any]) -> str:
        msgid = labels.get(code)
        if msgid:
            return _(msgid)
        return _special(code) or code

    return labeler


def unit_label(code: str, content: Mapping[str, Any]) -> str:
    """A unit's name from the content's ``units`` map (the code when unknown)."""
    special = _special(code) if code.startswith("_") else None
    return special or str(content.get("units", {}).get(code, code))


def plain_label(code: str, content: Mapping[str, Any]) -> str:
    """The code itself (police types are stored by their Chinese names), or a special label."""
    return _special(code) or code


def instrument_label(code: str, content: Mapping[str, Any]) -> str:
    """An instrument's short name (``PHQ-9``) from its built-in definition, else the code."""
    try:
        defn = builtin(code)
    except LookupError:
        return code
    return defn.name_zh if language() == "zh" else defn.name_en


def instrument_short_label(code: str, content: Mapping[str, Any]) -> str:
    """An instrument's abbreviation (``PHQ-9``): the last parenthesised part of its English
    name, else the code in capitals."""
    try:
        name = builtin(code).name_en
    except LookupError:
        return code.upper()
    if name.endswith(")") and "(" in name:
        return name[name.rindex("(") + 1 : -1]
    return code.upper()


def incident_kind_label(code: str, content: Mapping[str, Any]) -> str:
    """Label of an incident kind (:mod:`counselor_tui.domain.incidents`)."""
    return kind_label(code)


def step_code_label(code: str, content: Mapping[str, Any]) -> str:
    """Label of an incident step code."""
    return step_label(code)


@dataclass(frozen=True)
class FigureSpec:
    """One headline figure: ``key`` in the section's ``figures``; ``label`` msgid;
    ``protected`` (threshold rule: 1..k−1 shown as ``<k``); ``unit`` (how to print it);
    ``follows``: hide this figure whenever figure ``follows`` is hidden (hours of sessions);
    ``optional``: printed only when the content has it (a figure added to the schema later,
    so documents of content without it stay as they were)."""

    key: str
    label: str
    protected: bool = True
    unit: FigureUnit = "count"
    follows: str | None = None
    optional: bool = False


@dataclass(frozen=True)
class TableSpec:
    """One table: ``key`` in the section's ``tables``; ``title``/``row_header``/``value_header``
    msgids; labelers for row and column codes; ``protected`` (disclosure control);
    ``shared_total``: its grand total is a figure published elsewhere too (see
    :mod:`.protect`: such a table is demoted or withheld rather than hide that total);
    ``note`` msgid printed under the table; ``total``: print a total row (not for a list
    whose counts do not add up to anything meaningful)."""

    key: str
    title: str
    row_header: str
    rows: Labeler
    cols: Labeler = plain_label
    value_header: str = N_("Count")
    protected: bool = True
    shared_total: bool = False
    note: str = ""
    total: bool = True


@dataclass(frozen=True)
class SectionSpec:
    """A numbered section of the submission (DESIGN §8 items 1–6)."""

    key: str
    title: str
    figures: tuple[FigureSpec, ...] = ()
    tables: tuple[TableSpec, ...] = ()


CLIENT_LABELS: Mapping[str, str] = {**vocab.PERSON_KINDS, "anonymous": N_("anonymous caller")}
TIER_LABELS: Mapping[str, str] = {**vocab.TIERS, "none": N_("no archive yet")}
TRANSITION_FROM: Mapping[str, str] = {**vocab.TIERS, "none": N_("new archive")}
SCREEN_LABELS: Mapping[str, str] = {"positive": N_("screen positive"),
                                    "negative": N_("not positive")}
STEP_COLUMN_LABELS: Mapping[str, str] = {
    "on_time": N_("done on time"), "late": N_("done late"),
    "open_overdue": N_("open, overdue"), "waived": N_("waived with a reason"),
    "pending": N_("not yet due"),
}
ACTIVITY_COLUMN_LABELS: Mapping[str, str] = {
    "activities": N_("activities"), "participants": N_("participants"),
    "hours": N_("hours"),
}

SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec(
        "counseling", N_("Counseling"),
        figures=(
            FigureSpec("sessions", N_("Counseling sessions")),
            FigureSpec("minutes", N_("Counseling hours"), protected=False,
                       unit="hours_from_minutes", follows="sessions"),
            FigureSpec("persons_served", N_("Persons served (distinct)")),
            FigureSpec("new_persons", N_("Persons served for the first time")),
        ),
        tables=(
            TableSpec("by_channel", N_("Sessions by channel"), N_("Channel"),
                      vocab_labeler(vocab.CHANNELS), value_header=N_("Number of sessions"),
                      shared_total=True),
            TableSpec("by_kind", N_("Sessions by kind"), N_("Kind of session"),
                      vocab_labeler(vocab.SESSION_KINDS), value_header=N_("Number of sessions"),
                      shared_total=True),
            TableSpec("by_topic", N_("Sessions by topic"), N_("Topic"),
                      vocab_labeler(vocab.TOPICS), value_header=N_("Number of sessions"),
                      note=N_("A session may have several topics: the total counts topic "
                              "mentions, not sessions.")),
            TableSpec("by_unit", N_("Sessions by unit and client"), N_("Unit"), unit_label,
                      fixed_labeler(CLIENT_LABELS), value_header=N_("Number of sessions"),
                      shared_total=True,
                      note=N_("Family members count under the unit of the officer they are "
                              "linked to; anonymous callers under the counselor's unit.")),
            TableSpec("by_police_type", N_("Sessions by police type"), N_("Police type"),
                      plain_label, value_header=N_("Number of sessions"), shared_total=True),
            TableSpec("referrals", N_("Referrals"), N_("Referred to"),
                      vocab_labeler(vocab.REFERRALS), value_header=N_("Number of sessions")),
        ),
    ),
    SectionSpec(
        "archive", N_("Tiered archive"),
        figures=(
            FigureSpec("serving", N_("Officers serving at period end")),
            FigureSpec("archived_in_period", N_("Officer records archived in the period")),
        ),
        tables=(
            TableSpec("tiers_by_unit", N_("Serving officers by tier at period end"),
                      N_("Unit"), unit_label, fixed_labeler(TIER_LABELS),
                      value_header=N_("Officers"), shared_total=True),
            TableSpec("transitions", N_("Tier changes in the period"), N_("From tier"),
                      fixed_labeler(TRANSITION_FROM), fixed_labeler(vocab.TIERS),
                      value_header=N_("Changes")),
        ),
    ),
    SectionSpec(
        "census", N_("Census and screening"),
        tables=(
            TableSpec("screening", N_("Assessments in the period by instrument"),
                      N_("Instrument"), instrument_label, fixed_labeler(SCREEN_LABELS),
                      value_header=N_("Number of assessments"),
                      note=N_("Complete assessments administered in the period.")),
        ),
    ),
    SectionSpec(
        "incidents", N_("Critical incidents"),
        tables=(
            TableSpec("reported_by_kind", N_("Incidents reported in the period"),
                      N_("Kind of incident"), incident_kind_label,
                      value_header=N_("Number of incidents")),
            TableSpec("open_at_end_by_kind", N_("Incidents open at period end"),
                      N_("Kind of incident"), incident_kind_label,
                      value_header=N_("Number of incidents")),
            TableSpec("steps", N_("Response steps due in the period"), N_("Step"),
                      step_code_label, fixed_labeler(STEP_COLUMN_LABELS),
                      value_header=N_("Steps"),
                      note=N_("Status at the end of the period (or now, for a period not yet "
                              "over).")),
        ),
    ),
    SectionSpec(
        "firearms", N_("Firearm restrictions"),
        figures=(
            FigureSpec("recommended", N_("Restrictions recommended in the period")),
            FigureSpec("restricted", N_("Qualifications suspended or revoked in the period")),
            FigureSpec("declined", N_("Recommendations declined in the period")),
            FigureSpec("reinstated", N_("Qualifications reinstated in the period")),
            FigureSpec("in_force_at_end", N_("Restrictions in force at period end")),
            FigureSpec("pending_at_end", N_("Recommendations awaiting a decision at period end")),
        ),
    ),
    SectionSpec(
        "team", N_("Team and activities"),
        figures=(
            FigureSpec("counselors", N_("Active counselors"), protected=False),
            FigureSpec("coordinators", N_("Active coordinators"), protected=False),
            FigureSpec("trainings", N_("Trainings attended"), protected=False),
            FigureSpec("counselors_trained", N_("Counselors trained"), protected=False),
            FigureSpec("training_hours", N_("Training hours"), protected=False, unit="hours"),
            FigureSpec("cadres_trained", N_("Political instructors and political-work cadres "
                                            "trained"), protected=False, optional=True),
        ),
        tables=(
            TableSpec("activities", N_("Activities by kind"), N_("Kind of activity"),
                      vocab_labeler(vocab.ACTIVITY_KINDS), fixed_labeler(ACTIVITY_COLUMN_LABELS),
                      protected=False),
            TableSpec("unit_counselors", N_("Units without one to three designated "
                                            "counselors"), N_("Unit"), unit_label,
                      value_header=N_("Designated counselors"), protected=False, total=False,
                      note=N_("Each unit names one to three part-time counselors; listed "
                              "here: units with none or more than three at period end.")),
        ),
    ),
)

#: Keys of the census campaign list (a list of records, not a count table).
CAMPAIGNS = "campaigns"
CAMPAIGN_COLUMNS: tuple[tuple[str, str], ...] = (
    ("target", N_("Officers targeted")),
    ("completed", N_("Officers completed")),
)
NARRATIVE_FIELDS: tuple[tuple[str, str], ...] = (
    ("highlights", N_("Highlights")),
    ("problems", N_("Problems")),
    ("plan", N_("Plan for the next period")),
)
NARRATIVE_TITLE = N_("Summary")
INTEGRITY_TITLE = N_("Integrity")


def section_spec(key: str) -> SectionSpec:
    """The :class:`SectionSpec` named ``key``; ``KeyError`` when unknown."""
    for spec in SECTIONS:
        if spec.key == key:
            return spec
    raise KeyError(key)


def table_id(section: str, table: str) -> str:
    """The id of a table in the disclosure record: ``section.table``."""
    return f"{section}.{table}"
