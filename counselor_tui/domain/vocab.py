"""The controlled vocabularies of DESIGN §2: codes (stored) and labels (zh via gettext).

Each vocabulary is an ordered mapping ``code → English msgid``; :func:`label` translates a
code for display. Codes are what the database, JSON exports and the CLI use.
"""

from __future__ import annotations

from collections.abc import Mapping

from counselor_tui.i18n import N_, _

PERSON_KINDS: Mapping[str, str] = {
    "officer": N_("officer"), "family": N_("family member"), "other": N_("other"),
}
#: Who an anonymous caller is (issue 15 item 6): the category of a session without a person.
CALLER_KINDS: Mapping[str, str] = {
    "officer": N_("officer"), "family": N_("family member"), "other": N_("other"),
    "unknown": N_("unknown"),
}
#: 警种 (DESIGN §2). Codes are the Chinese names themselves, as rosters write them.
POLICE_TYPES: tuple[str, ...] = (
    "派出所", "交警", "刑侦", "治安", "特警", "经侦", "禁毒", "网安", "监管", "出入境", "法制",
    "指挥中心", "机关政工", "其他",
)
#: Common spellings in rosters mapped to the canonical police type.
POLICE_TYPE_ALIASES: Mapping[str, str] = {
    "社区": "派出所", "社区民警": "派出所", "派出所(社区/治安)": "派出所", "巡特警": "特警",
    "特警/巡特警": "特警", "交通警察": "交警", "交管": "交警", "刑警": "刑侦", "刑事侦查": "刑侦",
    "经济侦查": "经侦", "网络安全": "网安", "网监": "网安", "看守所": "监管", "政工": "机关政工",
    "机关": "机关政工", "法制大队": "法制", "指挥": "指挥中心",
}
GENDERS: Mapping[str, str] = {"male": N_("male"), "female": N_("female")}
RELATIONS: Mapping[str, str] = {
    "spouse": N_("spouse"), "child": N_("child"), "parent": N_("parent"), "other": N_("other"),
}
CHANNELS: Mapping[str, str] = {
    "face_to_face": N_("face to face"), "hotline": N_("hotline"), "email": N_("e-mail"),
    "online": N_("online"), "group": N_("group"), "visit": N_("visit"),
    "on_scene": N_("on scene"),
}
SESSION_KINDS: Mapping[str, str] = {
    "routine": N_("routine"), "follow_up": N_("follow-up"), "crisis": N_("crisis"),
    "post_incident": N_("post-incident"), "intake": N_("intake"),
}
TOPICS: Mapping[str, str] = {
    "work_stress": N_("work stress"), "interpersonal": N_("interpersonal relations"),
    "emotional": N_("emotional distress"), "children_education": N_("children's education"),
    "marriage_family": N_("marriage and family"), "health_sleep": N_("health and sleep"),
    "finance": N_("finances"), "trauma": N_("trauma and stress"),
    "substance": N_("substance use"), "other": N_("other"),
}
RISKS: Mapping[str, str] = {
    "none": N_("none"), "low": N_("low"), "moderate": N_("moderate"), "high": N_("high"),
    "imminent": N_("imminent"),
}
REFERRALS: Mapping[str, str] = {
    "none": N_("none"), "psychiatry": N_("psychiatry"), "hospital": N_("hospital"),
    "external_counselor": N_("external counselor"), "other": N_("other"),
}
TIERS: Mapping[str, str] = {"green": N_("green"), "yellow": N_("yellow"), "red": N_("red")}
TIER_ORDER: Mapping[str, int] = {"green": 0, "yellow": 1, "red": 2}
EXPOSURE_ROLES: Mapping[str, str] = {
    "involved": N_("involved"), "witness": N_("witness"), "injured": N_("injured"),
    "family": N_("family"),
}
ACTIVITY_KINDS: Mapping[str, str] = {
    "training": N_("training"), "drill": N_("drill"), "lecture": N_("lecture"),
    "interest_group": N_("interest group"), "group_session": N_("group session"),
}
FIREARM_STATUSES: Mapping[str, str] = {
    "recommended": N_("recommended"), "suspended": N_("suspended"), "revoked": N_("revoked"),
    "reinstated": N_("reinstated"), "declined": N_("declined"),
}
FIREARM_REASONS: Mapping[str, str] = {
    "mh_assessment_pending": N_("mental-health assessment pending"),
    "mh_treatment": N_("under mental-health treatment"),
    "post_incident": N_("after a critical incident"), "other": N_("other"),
}


def label(vocabulary: Mapping[str, str], code: str | None) -> str:
    """The translated label of ``code`` in ``vocabulary`` ("" for None, the code if unknown)."""
    if code is None:
        return ""
    msgid = vocabulary.get(code)
    return _(msgid) if msgid else code


def canonical_police_type(text: str) -> str | None:
    """The canonical police type for a roster spelling, or None when unknown."""
    t = text.strip()
    if t in POLICE_TYPES:
        return t
    return POLICE_TYPE_ALIASES.get(t)
