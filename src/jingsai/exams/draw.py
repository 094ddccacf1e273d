"""Drawing a paper's questions for one candidate from a blueprint: plain values, no ORM.

Sections are filled from the most constrained (fewest matching questions) to the least,
so a narrow section is not starved by a broad one. Within a section the draw prefers
questions no later section could use, then the least-drawn, ties broken at random; no
question is drawn twice. `shortages` runs the same procedure to say, before any
candidate starts, which sections the bank cannot fill."""

from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True)
class SectionSpec:
    type: str
    knowledge_point: int | None
    difficulty: int | None
    count: int

    def matches(self, row):
        return (
            row.type == self.type
            and (self.knowledge_point is None or row.knowledge_point == self.knowledge_point)
            and (self.difficulty is None or row.difficulty == self.difficulty)
        )


class PoolRow(NamedTuple):
    """One question a blueprint may draw: a named tuple, cheap to build for every question
    of the bank at every start."""

    id: int
    type: str
    knowledge_point: int | None
    difficulty: int
    times_drawn: int = 0


class Shortage(Exception):
    def __init__(self, shortages):
        self.shortages = shortages
        super().__init__(repr(shortages))


def _fill(sections, pool, pick):
    pools = [[row for row in pool if spec.matches(row)] for spec in sections]
    order = sorted(range(len(sections)), key=lambda i: (len(pools[i]), i))
    used, chosen, short = set(), {}, []
    for rank, index in enumerate(order):
        later = [{r.id for r in pools[j]} for j in order[rank + 1:]]
        available = [row for row in pools[index] if row.id not in used]
        wanted = sections[index].count
        if len(available) < wanted:
            short.append((index, wanted, len(available)))
            picked = available
        else:
            picked = pick(available, wanted, later)
        used.update(row.id for row in picked)
        chosen[index] = [row.id for row in picked]
    return chosen, sorted(short)


def draw(sections, pool, rng):
    """{section index: [question ids]}; raises Shortage if the pool cannot fill them."""

    def pick(available, wanted, later):
        keyed = [(sum(row.id in ids for ids in later), row.times_drawn, rng.random(), row) for row in available]
        keyed.sort(key=lambda k: k[:3])
        return [k[3] for k in keyed[:wanted]]

    chosen, short = _fill(sections, pool, pick)
    if short:
        raise Shortage(short)
    return chosen


def shortages(sections, pool):
    """[(section index, wanted, available)] for every section the pool cannot fill."""

    def pick(available, wanted, later):
        keyed = sorted(available, key=lambda row: (sum(row.id in ids for ids in later), row.id))
        return keyed[:wanted]

    return _fill(sections, pool, pick)[1]
