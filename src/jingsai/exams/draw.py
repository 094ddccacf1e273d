"""Drawing a paper's questions for one candidate from a blueprint: plain values, no ORM.

Sections are filled from the most constrained (fewest matching questions) to the least,
so a narrow section is not starved by a broad one. Within a section the draw prefers
questions no later section could use, then the least-drawn, ties broken at random; no
question is drawn twice. `shortages` runs the same procedure to say, before any
candidate starts, which sections the bank cannot fill."""

import heapq
from collections import Counter
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


def _pools(sections, pool):
    """Each section's matching rows, in pool order: what [row for row in pool if
    spec.matches(row)] gives, from the rows of the section's type (and knowledge point)
    only, where that looked at every row of the bank for every section."""
    of_type, of_point = {}, {}
    for row in pool:
        of_type.setdefault(row.type, []).append(row)
        of_point.setdefault((row.type, row.knowledge_point), []).append(row)
    pools = []
    for spec in sections:
        rows = of_type.get(spec.type, ()) if spec.knowledge_point is None else (
            of_point.get((spec.type, spec.knowledge_point), ()))
        pools.append(list(rows) if spec.difficulty is None else [r for r in rows if r.difficulty == spec.difficulty])
    return pools


def _fill(sections, pool, pick):
    pools = _pools(sections, pool)
    order = sorted(range(len(sections)), key=lambda i: (len(pools[i]), i))
    # How many sections still to be filled could use each question: counted once and
    # brought down as each section is filled, not rebuilt per section (linear in the
    # bank, where sets of every later section's pool per section grew with the square).
    later = Counter(row.id for rows in pools for row in rows)
    used, chosen, short = set(), {}, []
    for index in order:
        later.subtract(row.id for row in pools[index])
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
        random = rng.random
        keyed = [(later[row.id], row.times_drawn, random(), row) for row in available]
        return [k[3] for k in heapq.nsmallest(wanted, keyed, key=lambda k: k[:3])]

    chosen, short = _fill(sections, pool, pick)
    if short:
        raise Shortage(short)
    return chosen


def shortages(sections, pool):
    """[(section index, wanted, available)] for every section the pool cannot fill."""

    def pick(available, wanted, later):
        return heapq.nsmallest(wanted, available, key=lambda row: (later[row.id], row.id))

    return _fill(sections, pool, pick)[1]
