"""The programme's organisation (issue 16 item 1; the regulation's 三(一) and 三(三)).

* The **protection committee** (民警心理健康保护工作委员会) and its **office**
  (委员会办公室): members with a post and a term. Posts (:data:`POSTS`): the committee's
  主任, 常务副主任 and 委员; the office's 办公室主任, 办公室副主任 and 办公室成员. A post of
  :data:`SINGLE_POSTS` has one holder at a time (terms of two holders may not overlap).
* Each unit's **designated part-time counselors** (心理辅导员): the rule asks for one to
  three per unit (:data:`COUNSELORS_PER_UNIT`); :func:`outside_rule` says whether a count
  breaks it.
* **教导员 and 政工干部 trained** in mental-health work: one record per cadre and training
  (:data:`CADRE_POSTS`), counted as their own figure in the submission's section 6.

Pure rules only: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from counselor_tui.i18n import N_

#: post code → English msgid (zh: the regulation's words), in the order the lists show.
POSTS: Mapping[str, str] = {
    "director": N_("committee director"),
    "executive_deputy": N_("executive deputy director"),
    "member": N_("committee member"),
    "office_director": N_("office director"),
    "office_deputy": N_("office deputy director"),
    "office_member": N_("office member"),
}
#: The committee's posts; the others are the office's.
COMMITTEE_POSTS = frozenset({"director", "executive_deputy", "member"})
#: Posts held by one person at a time.
SINGLE_POSTS = frozenset({"director", "executive_deputy", "office_director"})
#: body code → msgid.
BODIES: Mapping[str, str] = {
    "committee": N_("protection committee"),
    "office": N_("committee office"),
}
#: 教导员 / 政工干部: the cadres whose training is counted on its own.
CADRE_POSTS: Mapping[str, str] = {
    "instructor": N_("political instructor"),
    "political": N_("political-work cadre"),
}
#: Designated counselors per unit: at least, at most (the regulation's 1–3).
COUNSELORS_PER_UNIT = (1, 3)


def body_of(post: str) -> str:
    """``"committee"`` or ``"office"`` for a post code of :data:`POSTS`."""
    return "committee" if post in COMMITTEE_POSTS else "office"


def post_order(post: str) -> int:
    """Position of ``post`` in :data:`POSTS` (unknown codes last)."""
    return list(POSTS).index(post) if post in POSTS else len(POSTS)


def in_term(starts_on: date, ends_on: date | None, day: date) -> bool:
    """True when ``day`` lies in the term ``starts_on``..``ends_on`` (both included;
    ``None``: still serving)."""
    return starts_on <= day and (ends_on is None or day <= ends_on)


def terms_overlap(a: tuple[date, date | None], b: tuple[date, date | None]) -> bool:
    """True when two terms (start, end or ``None``) share at least one day."""
    a_end = a[1] or date.max
    b_end = b[1] or date.max
    return a[0] <= b_end and b[0] <= a_end


def outside_rule(count: int) -> bool:
    """True when a unit's number of designated counselors breaks the 1–3 rule."""
    low, high = COUNSELORS_PER_UNIT
    return count < low or count > high
