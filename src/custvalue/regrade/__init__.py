"""The regrade cycle: compare two gradings and keep a history of dated snapshots.

The article behind custvalue (seed 001, 篇8) updates, adjusts and checks the grading every
three years (以三年为节点对各类客户等级进行更新、调整和检验).  :func:`compare` tells what
changed between two gradings; :func:`save_snapshot` / :func:`list_snapshots` keep the
history that ``custvalue compare`` reads.  See ``docs/regrade.md``.
"""

from custvalue.grading import GRADING_FILES, grading_table
from custvalue.regrade.compare import N_DRIVERS, Comparison, compare
from custvalue.regrade.snapshots import SnapshotError, list_snapshots, save_snapshot

__all__ = [
    "GRADING_FILES",
    "N_DRIVERS",
    "Comparison",
    "SnapshotError",
    "compare",
    "grading_table",
    "list_snapshots",
    "save_snapshot",
]
