"""Pure generators of the demo bureau's fictitious data: names, badge numbers, phones, units,
posts, note texts and the printed demo passphrase (DESIGN §9 ``demo``).

Everything is drawn from a ``random.Random`` passed in, so one seed gives the same bureau
(:mod:`counselor_tui.demo` uses a single ``random.Random(seed)``; the passphrase
alone uses ``secrets.SystemRandom``, which is a ``random.Random`` too). Nothing here reads the
clock or touches a file.

Sources of the shapes (believable, not statistics): surname frequencies follow the order of
the most common Chinese surnames (Ministry of Public Security name reports, rounded); unit
names are the usual organs of a county public-security bureau (派出所, 交警大队, 刑侦大队 …);
police types are :data:`counselor_tui.domain.vocab.POLICE_TYPES`. All people, places and
phone numbers are invented.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate

from counselor_tui.domain.vocab import POLICE_TYPES

# -- names -------------------------------------------------------------------------------------

#: Common surnames with rough relative frequencies (per mille), most common first.
SURNAME_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("王", 71), ("李", 70), ("张", 66), ("刘", 54), ("陈", 46), ("杨", 31), ("黄", 20),
    ("赵", 20), ("吴", 19), ("周", 19), ("徐", 15), ("孙", 15), ("马", 14), ("朱", 13),
    ("胡", 13), ("郭", 12), ("何", 12), ("林", 11), ("高", 11), ("罗", 11), ("郑", 10),
    ("梁", 9), ("谢", 8), ("宋", 8), ("唐", 8), ("许", 7), ("韩", 7), ("邓", 7), ("冯", 7),
    ("曹", 6), ("彭", 6), ("曾", 6), ("肖", 6), ("田", 5), ("董", 5), ("潘", 5), ("袁", 5),
    ("蔡", 5), ("蒋", 5), ("余", 5), ("于", 5), ("杜", 4), ("叶", 4), ("程", 4), ("魏", 4),
    ("苏", 4), ("吕", 4), ("丁", 4), ("任", 4), ("卢", 4), ("姚", 4), ("沈", 4), ("钟", 3),
    ("姜", 3), ("崔", 3), ("谭", 3), ("陆", 3), ("范", 3), ("汪", 3), ("廖", 3), ("石", 3),
    ("金", 3), ("韦", 3), ("贾", 3), ("夏", 3), ("付", 3), ("方", 3), ("邹", 2), ("熊", 2),
    ("白", 2), ("孟", 2), ("秦", 2), ("邱", 2), ("侯", 2), ("江", 2), ("尹", 2), ("薛", 2),
    ("闫", 2), ("段", 2), ("雷", 2), ("龙", 2), ("黎", 2), ("史", 2), ("陶", 2), ("贺", 2),
    ("毛", 2), ("郝", 2), ("顾", 2), ("龚", 2), ("邵", 2), ("万", 2), ("覃", 1), ("武", 2),
    ("钱", 2), ("戴", 2), ("严", 2), ("单", 0.5), ("欧阳", 0.4), ("诸葛", 0.1), ("司马", 0.1),
)
_SURNAMES = tuple(s for s, _w in SURNAME_WEIGHTS)
_SURNAME_CUM = tuple(accumulate(w for _s, w in SURNAME_WEIGHTS))

_GIVEN_MALE = tuple("伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳建国志文海东"
                    "亮成晨峰彬博然昊岩松立新振兵坤锋鸣毅翔轩睿哲")
_GIVEN_FEMALE = tuple("芳娜敏静丽艳娟霞燕玲婷雪琳颖慧莉倩洁晶欣悦璐瑶怡佳萍红梅兰琴丹蕾薇月婧雯"
                      "蓉萌琪岚")
_GIVEN_FIRST = tuple("建国志文海晓明小永春俊思子雨嘉家德天宏振庆少新红玉秀金立伟晨一佳梓")


def surname(rng: random.Random) -> str:
    """A surname drawn with :data:`SURNAME_WEIGHTS`."""
    return rng.choices(_SURNAMES, cum_weights=_SURNAME_CUM)[0]


def given_name(rng: random.Random, gender: str) -> str:
    """A one- (35 %) or two-character (65 %) given name for ``gender`` (``male``/``female``)."""
    pool = _GIVEN_FEMALE if gender == "female" else _GIVEN_MALE
    if rng.random() < 0.35:
        return rng.choice(pool)
    return rng.choice(_GIVEN_FIRST) + rng.choice(pool)


def person_name(rng: random.Random, gender: str, family: str | None = None) -> str:
    """A full name: ``family`` (or a drawn surname) followed by a given name."""
    return (family or surname(rng)) + given_name(rng, gender)


def badge_numbers(rng: random.Random, count: int) -> list[str]:
    """``count`` distinct 6-digit badge numbers (警号), ``100000``–``999999``, in draw order.

    Raises ``ValueError`` when more than 900,000 are asked for.
    """
    return [f"{n:06d}" for n in rng.sample(range(100000, 1000000), count)]


_PHONE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150",
                   "151", "152", "155", "156", "157", "158", "159", "177", "180", "181",
                   "186", "187", "188", "189", "199")


def phone(rng: random.Random) -> str:
    """An invented 11-digit mobile number."""
    return rng.choice(_PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"


# -- units and posts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitSpec:
    """A unit of the demo bureau: code, name, police type (警种), organ kind and a relative
    size (``weight``: officers are shared out in proportion to it).

    ``kind`` is ``station`` (派出所), ``brigade`` (大队), ``detention`` (看守所/拘留所),
    ``office`` (机关) or ``command`` (指挥中心); it picks the posts.
    """

    code: str
    name: str
    police_type: str
    kind: str
    weight: float


#: The organs every county bureau has, most important first (a tiny bureau takes a prefix).
CORE_UNITS: tuple[UnitSpec, ...] = (
    UnitSpec("PCS01", "城关派出所", "派出所", "station", 5.0),
    UnitSpec("JJDD", "交警大队", "交警", "brigade", 5.0),
    UnitSpec("XZDD", "刑侦大队", "刑侦", "brigade", 4.0),
    UnitSpec("ZHZX", "指挥中心", "指挥中心", "command", 2.0),
    UnitSpec("ZZC", "政治处", "机关政工", "office", 1.5),
    UnitSpec("ZADD", "治安大队", "治安", "brigade", 2.0),
    UnitSpec("TJDD", "特警大队", "特警", "brigade", 4.0),
    UnitSpec("KSS", "看守所", "监管", "detention", 2.0),
    UnitSpec("JZDD", "经侦大队", "经侦", "brigade", 1.5),
    UnitSpec("JDDD", "禁毒大队", "禁毒", "brigade", 1.5),
    UnitSpec("WADD", "网安大队", "网安", "brigade", 1.5),
    UnitSpec("CRJ", "出入境管理大队", "出入境", "brigade", 1.0),
    UnitSpec("FZDD", "法制大队", "法制", "brigade", 1.0),
)
#: Organs of larger bureaus, added once the bureau has room for them.
EXTRA_UNITS: tuple[UnitSpec, ...] = (
    UnitSpec("JLS", "拘留所", "监管", "detention", 1.5),
    UnitSpec("DCDD", "督察大队", "其他", "brigade", 1.0),
    UnitSpec("JWBZ", "警务保障室", "机关政工", "office", 1.0),
)
#: Invented town names for the rural police stations (XX镇派出所).
TOWNS: tuple[str, ...] = (
    "东关镇", "西河镇", "南山镇", "北坡镇", "柳林镇", "石桥镇", "白沙镇", "青龙镇", "马家堡镇",
    "杨柳镇", "双河镇", "新集镇", "三岔镇", "龙泉镇", "桃园镇", "高台镇", "河口镇", "梨花镇",
    "松林镇", "红星乡", "金沙镇", "大河镇", "平安镇", "清水镇", "长岭镇", "永丰镇", "太平镇",
    "兴隆镇", "和平镇", "黄土岭乡",
)
MAX_UNITS = len(CORE_UNITS) + len(EXTRA_UNITS) + len(TOWNS)


def unit_plan(count: int) -> list[UnitSpec]:
    """The ``count`` units of a demo bureau (1 ≤ ``count`` ≤ :data:`MAX_UNITS`).

    Up to 13 units: a prefix of :data:`CORE_UNITS`. Beyond: every core organ, then one extra
    organ per eight further units, the rest town police stations (``PCS02`` …). Raises
    ``ValueError`` outside the range.
    """
    if not 1 <= count <= MAX_UNITS:
        raise ValueError(f"unit count {count} outside 1..{MAX_UNITS}")
    if count <= len(CORE_UNITS):
        return list(CORE_UNITS[:count])
    rest = count - len(CORE_UNITS)
    extras = list(EXTRA_UNITS[: min(len(EXTRA_UNITS), rest // 8)])
    towns = [
        UnitSpec(f"PCS{i + 2:02d}", f"{town}派出所", "派出所", "station", 2.5)
        for i, town in enumerate(TOWNS[: rest - len(extras)])
    ]
    plan = [*CORE_UNITS, *extras, *towns]
    if any(u.police_type not in POLICE_TYPES for u in plan):  # pragma: no cover - data guard
        raise ValueError("unit with an unknown police type")
    return plan


def share_out(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` by rounding the running
    sum, so the parts sum to ``total``, each is the floor or ceiling of its exact share and
    small totals spread evenly (no run of zeros followed by a run of ones)."""
    whole = sum(weights)
    parts: list[int] = []
    done = 0
    for running in accumulate(weights):
        upto = int(total * running / whole + 0.5)
        parts.append(upto - done)
        done = upto
    parts[-1] += total - done
    return parts


_HEADS = {"station": "所长", "brigade": "大队长", "detention": "所长", "office": "主任",
          "command": "主任"}
_DEPUTIES = {"station": "副所长", "brigade": "副大队长", "detention": "副所长",
             "office": "副主任", "command": "副主任"}
_RANK_AND_FILE = {"station": ("民警", "社区民警"), "brigade": ("民警",),
                  "detention": ("民警", "管教民警"), "office": ("科员",),
                  "command": ("民警", "接警员")}


def unit_posts(kind: str, count: int, rng: random.Random) -> list[str]:
    """The posts (职务) of ``count`` officers of a unit of ``kind`` (see :class:`UnitSpec`):
    leaders first (head, deputies, 教导员, squad leaders), then rank and file."""
    posts = [_HEADS[kind]] + [_DEPUTIES[kind]] * max(1, min(3, count // 20))
    if kind in ("station", "brigade", "detention") and count >= 8:
        posts.append("教导员")
    if kind == "brigade":
        posts += ["中队长"] * (count // 15) + ["副中队长"] * (count // 25)
    if kind == "command":
        posts += ["值班长"] * (count // 10)
    pool = _RANK_AND_FILE[kind]
    while len(posts) < count:
        posts.append(pool[0] if len(pool) == 1 or rng.random() < 0.7 else pool[1])
    return posts[:count]


LEADER_POSTS = frozenset({*_HEADS.values(), *_DEPUTIES.values(), "教导员"})

# -- free texts --------------------------------------------------------------------------------

_OPENINGS: dict[str, tuple[str, ...]] = {
    "face_to_face": (
        "来访者主动预约面谈。", "经所在单位推荐前来面谈。", "按约定时间到心理辅导室面谈。",
        "来访者下班后前来咨询。",
    ),
    "hotline": (
        "来电者通过心理服务热线求助。", "夜间来电，语速较快。", "来电者自述犹豫多日才拨打热线。",
    ),
    "email": (
        "来访者通过邮件描述近况。", "收到来访者来信，已书面回复。",
    ),
    "online": (
        "通过线上视频进行咨询。", "来访者通过网络平台留言并预约线上交流。",
    ),
    "group": (
        "参加单位组织的团体辅导，会后单独交流。", "团体辅导中主动分享近期困扰。",
    ),
    "visit": (
        "辅导员到所在单位走访谈心。", "随单位领导走访时进行个别谈话。", "到家中走访，家属在场。",
    ),
    "on_scene": (
        "辅导员到现场开展心理支持。", "处置结束后在现场进行简短谈话。",
    ),
}
_TOPIC_LINES: dict[str, tuple[str, ...]] = {
    "work_stress": (
        "近期连续值班加班，自述疲惫、注意力下降。", "因案件办理压力大，担心考核不达标。",
        "岗位调整后不适应新工作节奏。", "长期夜班，作息紊乱，工作积极性下降。",
        "对执法风险感到担忧，害怕出错被追责。",
    ),
    "interpersonal": (
        "与同事沟通不畅，感到被孤立。", "与直接领导在工作安排上有分歧，心里憋屈。",
        "新入警不久，融入集体有困难。",
    ),
    "emotional": (
        "近一个月情绪低落，兴趣减退。", "容易烦躁，常因小事发脾气。",
        "自述心里空落落的，提不起劲。", "情绪起伏较大，时常莫名紧张。",
    ),
    "children_education": (
        "孩子临近中考，学习成绩下滑，亲子冲突增多。", "孩子沉迷手机游戏，夫妻教育观念不一致。",
        "因工作忙很少陪伴孩子，内疚感明显。",
    ),
    "marriage_family": (
        "夫妻因家务分担和陪伴时间问题争吵增多。", "两地分居，感情出现隔阂。",
        "家中老人患病需要照顾，压力较大。", "婚恋问题困扰，与对象家庭存在分歧。",
    ),
    "health_sleep": (
        "入睡困难，早醒，白天精神差。", "体检发现指标异常后担心健康，反复就医。",
        "颈腰椎疼痛影响休息，情绪受影响。", "睡眠质量差，依赖饮酒助眠。",
    ),
    "finance": (
        "房贷压力较大，经济负担重。", "家人投资失利，家庭经济紧张。",
    ),
    "trauma": (
        "参与处置突发事件后反复回想现场画面。", "目睹同事受伤后出现闪回和警觉性增高。",
        "处置现场后出现回避相关话题的情况。",
    ),
    "substance": (
        "近期饮酒量明显增加，家属担心。", "自述依靠吸烟、饮酒缓解压力。",
    ),
    "other": (
        "咨询个人职业发展方向问题。", "咨询心理健康知识及减压方法。",
    ),
}
_RISK_LINES: dict[str, tuple[str, ...]] = {
    "none": (
        "精神状态良好，言语清晰，未发现自伤、伤人风险。", "情绪基本稳定，社会支持较好。",
    ),
    "low": (
        "情绪稍低落，无自伤念头，社会支持尚可。", "存在一定焦虑情绪，现实检验良好。",
    ),
    "moderate": (
        "情绪波动较大，睡眠差，需持续关注。", "偶有消极想法但无计划，已进行安全评估。",
    ),
    "high": (
        "存在消极念头，已进行安全评估并签订安全承诺，通知单位关注。",
        "自述有轻生想法，已联系家属加强陪伴。",
    ),
    "imminent": (
        "有明确自伤计划，已联系家属陪护并护送就医。",
        "情绪失控，存在现实危险，已启动危机干预预案。",
    ),
}
_INTERVENTIONS: tuple[str, ...] = (
    "倾听共情，情绪疏导", "认知调整，识别不合理信念", "放松训练（腹式呼吸、渐进式肌肉放松）",
    "睡眠卫生指导", "问题解决训练", "家庭沟通技巧指导", "正念练习", "心理健康知识宣教",
    "安全评估与安全计划", "建议适当调整工作安排",
)
_PLANS: tuple[str, ...] = (
    "约定一周后回访。", "建议参加单位减压团体活动。", "布置睡眠日记，下次面谈反馈。",
    "如有需要随时联系热线。", "与所在单位沟通，适当调整勤务。",
)


def _below(bits: Callable[[int], int], n: int) -> int:
    """``random.Random._randbelow`` through ``bits`` (the generator's ``getrandbits``): the
    same draws as ``choice``/``randint``, without their layers of calls."""
    k = n.bit_length()
    x = bits(k)
    while x >= n:
        x = bits(k)
    return x


def session_note(r: Callable[[], float], bits: Callable[[int], int], channel: str,
                 topics: Sequence[str], risk: str, follow_up: bool) -> str:
    """A counseling note assembled from templates: opening (by channel), one line per topic,
    the risk assessment, and a plan; sometimes over several lines. ``r`` and ``bits`` are a
    ``random.Random``'s ``random`` and ``getrandbits`` (the draws of ``choice``)."""
    def pick(items: Sequence[str]) -> str:
        return items[_below(bits, len(items))]

    parts = [pick(_OPENINGS[channel])]
    parts += [pick(_TOPIC_LINES[t]) for t in topics]
    parts.append(pick(_RISK_LINES[risk]))
    if follow_up:
        parts.append("约定回访。" if r() < 0.5 else pick(_PLANS))
    elif r() < 0.4:
        parts.append(pick(_PLANS))
    return ("\n" if r() < 0.35 else "").join(parts)


def intervention(bits: Callable[[int], int], risk: str) -> str:
    """The intervention field: one to three methods joined with ``；`` (the draws of
    ``sample(_INTERVENTIONS[:8], randint(1, 3))``; ``bits`` is a ``random.Random``'s
    ``getrandbits``), plus the safety plan at high or imminent risk."""
    pool = list(_INTERVENTIONS[:8])
    chosen = []
    for i in range(1 + _below(bits, 3)):
        j = _below(bits, 8 - i)
        chosen.append(pool[j])
        pool[j] = pool[7 - i]
    if risk in ("high", "imminent"):
        chosen.append(_INTERVENTIONS[8])
    return "；".join(chosen)


ADDENDA: tuple[str, ...] = (
    "补充：来访者后续电话告知已按建议就医，情况好转。", "补充：更正回访方式为电话回访。",
    "补充：单位反馈来访者近期工作状态稳定。", "补充：家属来电反映情况，已记录并约定面谈。",
)

# -- the demo passphrase -----------------------------------------------------------------------

_WORDS_TEXT = (
    "amber anchor apple arrow autumn badge bamboo basket beacon birch blanket bottle breeze "
    "bridge bronze bucket cabin camel candle canyon carpet castle cedar chalk cherry cliff "
    "clover cobalt comet copper coral cotton crane crystal dawn desert dolphin dragon drum "
    "eagle ember engine falcon feather fern fiddle forest fossil fountain garden garnet ginger "
    "glacier granite harbor hazel helmet heron hollow honey island ivory jacket jasmine jungle "
    "kettle kite ladder lagoon lantern lemon lilac linen lotus magnet maple marble meadow "
    "melon meteor mirror mosaic motor mountain nectar needle noodle oasis ocean olive orbit "
    "orchid otter paddle panda pebble pencil pepper piano pillow pine planet plum "
    "pocket pony prism puzzle quartz quill rabbit radar raven reef ribbon river rocket "
    "saddle salmon satin scarf shadow shell silver sketch sparrow spider spruce stable "
    "stone summit sunset swan tablet tiger timber tulip tunnel valley velvet violet walnut "
    "whistle willow window winter wolf yarrow zebra zephyr"
)
#: The demo passphrase's words (common, easy to type, pairwise distinct).
PASSPHRASE_WORDS: tuple[str, ...] = tuple(_WORDS_TEXT.split())


def passphrase(rng: random.Random, words: int = 4) -> str:
    """``words`` words of :data:`PASSPHRASE_WORDS` joined by ``-`` (about 7.4 bits each)."""
    return "-".join(rng.choice(PASSPHRASE_WORDS) for _i in range(words))
