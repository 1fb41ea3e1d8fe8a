"""The demo community 阳光花园 Sunshine Garden: two buildings, their group chats and people."""

from __future__ import annotations

from sandbox.world import GroupSpec, Persona, World

BUILDING_GROUPS = {1: -1001000000001, 2: -1001000000002}
DEMO_GROUPS = tuple(BUILDING_GROUPS.values())
GROUP_TITLES = {1: "阳光花园 1号楼 Building 1", 2: "阳光花园 2号楼 Building 2"}

# id, first name, last name, username, language, building, room, role, skills, note
# A room is written as its building's residents type it after /register: the demo buildings
# have no units, so "701" (a building with units would say "3-502").
_PEOPLE: tuple[tuple, ...] = (
    # Leaders: 1001 created building 1's group; 1002 administers building 2's.
    (1001, "陈建国", None, "chen_jianguo", "zh", 1, "201", "leader", ["other"], None),
    (1002, "Sarah", "Lin", "sarah_lin", "en", 2, "201", "leader", ["translation"], None),
    # Volunteers
    (1003, "刘芳", None, None, "zh", 1, "502", "volunteer", ["nursing", "medical"], "护士"),
    (1004, "David", "Chen", "davidc", "en", 1, "803", "volunteer", ["driving", "delivery"], None),
    (1005, "赵磊", None, "zhaolei", "zh", 1, "1201", "volunteer", ["it", "delivery"], None),
    (1006, "孙丽华", None, None, "zh", 1, "604", "volunteer", ["psych", "elderly_care"], None),
    (1007, "周明", None, None, "zh", 2, "302", "volunteer", ["driving"], "有车 has a car"),
    (
        1008,
        "Priya",
        "Sharma",
        "priya_s",
        "en",
        2,
        "705",
        "volunteer",
        ["medical", "translation"],
        "GP",
    ),
    (1009, "吴静", None, None, "zh", 2, "1103", "volunteer", ["elderly_care", "delivery"], None),
    (1010, "Tom", "Becker", "tbecker", "en", 2, "404", "volunteer", ["legal", "it"], None),
    # Residents, building 1
    (
        1011,
        "王秀英",
        None,
        None,
        "zh",
        1,
        "102",
        "resident",
        [],
        "82岁独居，听力不好 — 82, lives alone, hard of hearing: call rather than text",
    ),
    (1012, "张伟", None, "zhangwei88", "zh", 1, "301", "resident", [], None),
    (1013, "李娜", None, None, "zh", 1, "302", "resident", [], None),
    (1014, "Emma", "Wilson", "emmaw", "en", 1, "405", "resident", [], None),
    (1015, "黄晓明", None, None, "zh", 1, "506", "resident", [], None),
    (1016, "林美玲", None, None, "zh", 1, "701", "resident", [], "家有婴儿 infant at home"),
    (1017, "James", "O'Brien", "jobrien", "en", 1, "902", "resident", [], None),
    (1018, "何静", None, None, "zh", 1, "1002", "resident", [], None),
    (1019, "郭强", None, None, "zh", 1, "1105", "resident", [], None),
    (1020, "马晓东", None, None, "zh", 1, "1203", "resident", [], None),
    # Residents, building 2 (1024 created the group: owners' committee)
    (
        1021,
        "李德福",
        None,
        None,
        "zh",
        2,
        "102",
        "resident",
        [],
        "79岁独居，没有智能手机 — 79, lives alone, no smartphone: reach via neighbour in 103",
    ),
    (1022, "陈小红", None, None, "zh", 2, "103", "resident", [], "李德福的邻居 relays for 102"),
    (1023, "Yuki", "Tanaka", "yukit", "en", 2, "208", "resident", [], None),
    (1024, "徐海涛", None, "xuhaitao", "zh", 2, "301", "resident", [], "业委会 committee"),
    (1025, "罗丹", None, None, "zh", 2, "406", "resident", [], None),
    (1026, "Michael", "Brown", "mbrown", "en", 2, "503", "resident", [], None),
    (1027, "高雪梅", None, None, "zh", 2, "601", "resident", [], None),
    (1028, "郑浩", None, None, "zh", 2, "804", "resident", [], None),
    (1029, "Anna", "Kowalski", "annak", "en", 2, "902", "resident", [], None),
    (1030, "杨柳", None, None, "zh", 2, "1201", "resident", [], None),
)
VULNERABLE = frozenset({1011, 1021})
NO_SMARTPHONE = frozenset({1021})  # kept out of the Telegram groups
GROUP_OWNERS = {1: (1001, ()), 2: (1024, (1002,))}  # building: (creator, administrators)


def demo_personas() -> list[Persona]:
    """Fresh Persona objects for every demo person."""
    people = []
    for user_id, first, last, username, language, building, room, role, skills, note in _PEOPLE:
        people.append(
            Persona(
                id=user_id,
                first_name=first,
                last_name=last,
                username=username,
                language_code="zh-hans" if language == "zh" else "en",
                building=building,
                room=room,
                role=role,
                skills=list(skills),
                phone=f"+86 138 0000 {user_id - 1000:04d}",
                language=language,
                vulnerable=user_id in VULNERABLE,
                note=note,
            )
        )
    return people


def demo_groups(people: list[Persona]) -> list[GroupSpec]:
    """The two building group chats, each with its building's people (the bot is added later)."""
    groups = []
    for building, chat_id in BUILDING_GROUPS.items():
        creator, admins = GROUP_OWNERS[building]
        members = {
            p.id: "member" for p in people if p.building == building and p.id not in NO_SMARTPHONE
        }
        members.update(dict.fromkeys(admins, "administrator"))
        members[creator] = "creator"
        groups.append(GroupSpec(chat_id, GROUP_TITLES[building], members, building=building))
    return groups


def demo_world(timezone: str = "Asia/Shanghai") -> World:
    """A new World seeded with 阳光花园 Sunshine Garden, whose clocks show `timezone`."""
    people = demo_personas()
    return World(people, demo_groups(people), timezone=timezone)
