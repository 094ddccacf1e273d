"""Every change judging makes, each in a transaction with its audit record, by subject:

  schemes   marking schemes: seed, edit, import/export, validate, freeze
  judges    the judge pool, assignment to competitions and panels, declared relationships
  venue     contestants, check-in, the two draws, end of the practical, practical time
  marking   marks (idempotent entry, rules on entry), review, sign-off, unlocking,
            re-scoring, paper sheets keyed twice, unblinding and the practical score
  appeals   written appeals and the arbitration group's final ruling
  stats     judge statistics (read only)
  progress  where a stage stands (read only)
  history   every mark's history, to read and export
"""

from . import appeals, history, judges, marking, progress, schemes, stats, venue
from .schemes import judged_component, judged_component_refusal
from .venue import entry_for_contestant_number

__all__ = [
    "appeals", "entry_for_contestant_number", "history", "judged_component", "judged_component_refusal", "judges",
    "marking", "progress", "schemes", "stats", "venue",
]
