"""Drawing a paper's questions for one candidate from a blueprint: plain values, no ORM.

Sections are filled from the most constrained (fewest matching questions) to the least,
so a narrow section is not starved by a broad one. Within a section the draw prefers the
least-drawn questions, then those no later section could use, ties broken at random; no
question is drawn twice. Where those preferences leave a section short although the bank
could fill it (sections that overlap, such as one by knowledge point and one by
difficulty), questions are passed between sections until it is full (_reassign), so a
draw fails only when no sharing-out of the bank fills the blueprint. `shortages` runs the
same procedure to say, before any candidate starts, which sections the bank cannot fill:
a blueprint it accepts never fails at a start (with the same bank)."""

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
    owner, chosen, lacking = {}, {}, []
    for index in order:
        later.subtract(row.id for row in pools[index])
        available = [row for row in pools[index] if row.id not in owner]
        wanted = sections[index].count
        picked = available if len(available) < wanted else pick(available, wanted, later)
        owner.update((row.id, index) for row in picked)
        chosen[index] = [row.id for row in picked]
        if len(picked) < wanted:
            lacking.append(index)
    short = []
    for index in lacking:
        while len(chosen[index]) < sections[index].count and _reassign(index, pools, owner, chosen):
            pass
        if len(chosen[index]) < sections[index].count:
            short.append((index, sections[index].count, len(chosen[index])))
    return chosen, sorted(short)


def _reassign(start, pools, owner, chosen):
    """One more question for section `start`, found by passing questions along: `start`
    takes one that another section holds, which takes another in its place, and so on to a
    section with a question nobody holds (an augmenting path, found breadth-first over the
    sections). Every other section keeps its count. False when there is no such path: then
    no way of sharing the bank's questions out fills `start` further, so the preferences
    of the first pass never make a blueprint the bank can fill fail."""
    came_from, took = {start: None}, {}
    queue = [start]
    for section in queue:
        for row in pools[section]:
            holder = owner.get(row.id)
            if holder is None:  # free: the path ends here
                owner[row.id] = section
                chosen[section].append(row.id)
                while came_from[section] is not None:
                    previous, question = came_from[section], took[section]
                    chosen[section].remove(question)
                    chosen[previous].append(question)
                    owner[question] = previous
                    section = previous
                return True
            if holder not in came_from:
                came_from[holder], took[holder] = section, row.id
                queue.append(holder)
    return False


def draw(sections, pool, rng):
    """{section index: [question ids]}; raises Shortage if the pool cannot fill them."""

    def pick(available, wanted, later):
        random = rng.random
        # The least-drawn first: preferring what no later section could use came first, and a
        # section overlapping a broader one drew the same few questions for every candidate
        # while the rest of its pool was never used. _reassign still fills a section short.
        keyed = [(row.times_drawn, later[row.id], random(), row) for row in available]
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
